"""Registry storage: one immutable, hash-verified bundle directory per version.

Layout: ``<OCTROI_REGISTRY_DIR>/<version>/`` holds the bundle's files exactly as training wrote
them (``manifest.json`` lists the SHA-256 of every other file). A version is written once: it is
copied into a hidden temporary directory, verified there, renamed into place (atomic on one
file system) and made read-only. Adding the same version again is a no-op when the manifests
are byte-identical and refused otherwise. Every load verifies every hash
(``ml.bundle.ModelBundle.load``), so a modified file is refused, not served.

The registry directory may be any shared file system every API process mounts (a volume,
NFS); which version is champion or challenger lives in the database (``backend.registry.service``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"  # ml.bundle.MANIFEST_FILE, without importing LightGBM here
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class RegistryError(RuntimeError):
    """The registry cannot do what was asked; the message says why."""


class VersionNotFound(RegistryError):
    def __init__(self, version: str) -> None:
        super().__init__(f"model version {version!r} is not in the registry")
        self.version = version


@dataclass(frozen=True)
class VersionInfo:
    version: str
    created_at: str | None
    manifest_sha256: str
    metrics: dict[str, Any]
    training_data: dict[str, Any]
    features: list[str]
    threshold: float | None
    path: Path

    @classmethod
    def read(cls, path: Path) -> VersionInfo:
        data = (path / MANIFEST).read_bytes()
        manifest = json.loads(data)
        return cls(
            version=str(manifest["version"]),
            created_at=manifest.get("created_at"),
            manifest_sha256=hashlib.sha256(data).hexdigest(),
            metrics=dict(manifest.get("metrics") or {}),
            training_data=dict(manifest.get("training_data") or {}),
            features=[f["name"] for f in manifest.get("features", [])],
            threshold=manifest.get("threshold"),
            path=path,
        )


def valid_version(version: str) -> bool:
    return bool(_VERSION_RE.match(version))


class ModelRegistry:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # ------------------------------------------------------------------ reading
    def path(self, version: str) -> Path:
        if not valid_version(version):
            raise VersionNotFound(version)
        return self.root / version

    def has(self, version: str) -> bool:
        return valid_version(version) and (self.root / version / MANIFEST).is_file()

    def info(self, version: str) -> VersionInfo:
        if not self.has(version):
            raise VersionNotFound(version)
        return VersionInfo.read(self.path(version))

    def versions(self) -> list[VersionInfo]:
        """Every registered version, oldest first (by training time, then name)."""
        if not self.root.is_dir():
            return []
        out = []
        for child in self.root.iterdir():
            if child.name.startswith(".") or not (child / MANIFEST).is_file():
                continue
            try:
                out.append(VersionInfo.read(child))
            except (OSError, ValueError, KeyError):
                continue  # unreadable manifest: `octroi model list` shows it through verify()
        return sorted(out, key=lambda v: (v.created_at or "", v.version))

    def published(self, *, excluding: str | None = None) -> list[Any]:
        """What every registered version publishes of its training population
        (``ml.bundle.Published``): what a new training is compared with. A version whose files
        cannot be read is left out (it cannot be served either)."""
        from ml.bundle import Published

        out = []
        for info in self.versions():
            if info.version == excluding:
                continue
            try:
                out.append(Published.read(info.path))
            except (OSError, ValueError, KeyError):
                continue
        return out

    def load(self, version: str) -> Any:
        """The verified ``ml.bundle.ModelBundle`` of ``version``; ``VersionNotFound`` or
        ``ml.bundle.BundleIntegrityError`` (a modified or missing file)."""
        from ml.bundle import ModelBundle

        if not self.has(version):
            raise VersionNotFound(version)
        bundle = ModelBundle.load(self.path(version))
        if bundle.version != version:
            raise RegistryError(f"{self.path(version)} holds version {bundle.version}, not {version}")
        return bundle

    def verify(self, version: str) -> str | None:
        """None when every file matches its hash, else the reason."""
        from ml.bundle import BundleIntegrityError

        try:
            self.load(version)
        except (BundleIntegrityError, RegistryError) as exc:
            return str(exc)
        return None

    # ------------------------------------------------------------------ writing
    def add(self, bundle_dir: Path, beside: Sequence[Any] = ()) -> tuple[VersionInfo, bool]:
        """Copy a verified bundle in; returns (info, True when newly added). ``beside``: what
        bundles served outside the registry publish (``ml.bundle.Published``: the served
        ``OCTROI_MODEL_DIR``), compared with as the registered versions are."""
        from ml.bundle import ModelBundle

        bundle = ModelBundle.load(bundle_dir)  # BundleIntegrityError before anything is copied
        version = bundle.version
        if not valid_version(version):
            raise RegistryError(f"version {version!r} is not a valid registry name")
        target = self.root / version
        source_digest = hashlib.sha256((Path(bundle_dir) / MANIFEST).read_bytes()).hexdigest()
        if (target / MANIFEST).is_file():
            existing = VersionInfo.read(target)
            if existing.manifest_sha256 != source_digest:
                raise RegistryError(f"version {version} is already registered with different content; "
                                    "versions are immutable")
            return existing, False
        self.root.mkdir(parents=True, exist_ok=True)
        with self._adding():
            self._check_population(version, bundle.population, bundle.report.get("fairness") or {}, beside,
                                   bundle.prototypes.reference.get("compared_with", ()))
            return self._copy_in(bundle_dir, bundle, target)

    @contextlib.contextmanager
    def _adding(self) -> Iterator[None]:
        """One registration at a time (an exclusive lock on the registry directory), so two
        bundles 1 to 9 people apart cannot each pass the check before the other is in."""
        with open(self.root / ".adding.lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _check_population(self, version: str, population: dict[str, Any], fairness: dict[str, Any],
                          beside: Sequence[Any] = (), groups_compared_with: Sequence[str] = ()) -> None:
        """Refuse a bundle whose population reference or fairness tables, beside a registered
        version's, would give 1 to 9 people's outcomes by subtraction (``ml.disclosure``): totals
        that moved by so few, or a level, bin or group a training against this registry would
        have withheld; or whose similar-profile groups were not fitted beside a registered
        version trained on other people (the rows are needed to compare them:
        ``ml.prototypes``)."""
        from ml.disclosure import disclosed_across, population_totals, same_people, too_close
        from ml.fairness import fairness_across

        published = self.published(excluding=version)
        known = {version, *(p.version for p in published)}
        published += [p for p in beside if p.version not in known]
        earlier = [(p.version, p.population) for p in published]
        refused = too_close(population_totals(population), earlier)
        if refused is not None:
            raise RegistryError(f"version {version}: {refused}")
        withheld = disclosed_across(population, earlier)[1] + fairness_across(
            fairness, [(p.version, p.fairness) for p in published])[1]
        if withheld:
            shown = ", ".join(withheld[:5]) + (f" and {len(withheld) - 5} more" if len(withheld) > 5 else "")
            raise RegistryError(
                f"version {version}: its population reference or fairness tables, beside the registered versions', "
                "would give 1 to "
                f"9 people's outcomes by subtraction ({shown}); train it against this registry (`octroi train` "
                "without --out, or with OCTROI_REGISTRY_DIR set to it), which withholds them")
        unfitted = [p.version for p in published if p.prototypes and p.version not in groups_compared_with
                    and not same_people(population, p.population)]
        if unfitted:
            raise RegistryError(
                f"version {version}: its similar-profile groups were not fitted beside version(s) "
                f"{', '.join(unfitted)}, trained on other people (a group both fitted alike would give the people "
                "between them by subtraction); train it against this registry (`octroi train` without --out, or "
                "with OCTROI_REGISTRY_DIR set to it), which compares them")

    def _copy_in(self, bundle_dir: Path, bundle: Any, target: Path) -> tuple[VersionInfo, bool]:
        from ml.bundle import ModelBundle

        version = bundle.version
        incoming = self.root / f".incoming-{uuid.uuid4().hex}"
        try:
            incoming.mkdir()
            files = [MANIFEST, *bundle.manifest["files"]]
            for name in files:
                shutil.copyfile(Path(bundle_dir) / name, incoming / name)
            ModelBundle.load(incoming)  # the copy itself verifies
            for name in files:
                os.chmod(incoming / name, stat.S_IRUSR)
            os.rename(incoming, target)
        except FileExistsError:
            # Another process registered the same version meanwhile: theirs stands if identical.
            existing = VersionInfo.read(target)
            source_digest = hashlib.sha256((Path(bundle_dir) / MANIFEST).read_bytes()).hexdigest()
            if existing.manifest_sha256 != source_digest:
                raise RegistryError(f"version {version} is already registered with different content; "
                                    "versions are immutable") from None
            return existing, False
        finally:
            if incoming.exists():
                _remove_tree(incoming)
        os.chmod(target, stat.S_IRUSR | stat.S_IXUSR)  # read-only: versions are immutable
        return VersionInfo.read(target), True


def _remove_tree(path: Path) -> None:
    for child in path.iterdir():
        os.chmod(child, stat.S_IWUSR | stat.S_IRUSR)
    shutil.rmtree(path, ignore_errors=True)
