"""French and English labels for every raw column and every model feature."""

from __future__ import annotations

from ml.schema import BUILDING_STEMS, BUREAU_REQUESTS, DOCUMENT_FLAGS

_BASE: dict[str, tuple[str, str]] = {
    "SK_ID_CURR": ("Identifiant client", "Client id"),
    "TARGET": ("Défaut de paiement", "Payment default"),
    "NAME_CONTRACT_TYPE": ("Type de contrat", "Contract type"),
    "CODE_GENDER": ("Genre", "Gender"),
    "FLAG_OWN_CAR": ("Possède une voiture", "Owns a car"),
    "FLAG_OWN_REALTY": ("Propriétaire d'un bien immobilier", "Owns real estate"),
    "CNT_CHILDREN": ("Nombre d'enfants", "Number of children"),
    "AMT_INCOME_TOTAL": ("Revenu annuel", "Annual income"),
    "AMT_CREDIT": ("Montant du crédit", "Credit amount"),
    "AMT_ANNUITY": ("Annuité du prêt", "Loan annuity"),
    "AMT_GOODS_PRICE": ("Prix du bien financé", "Price of the goods financed"),
    "NAME_TYPE_SUITE": ("Accompagnant lors de la demande", "Accompanied by at application"),
    "NAME_INCOME_TYPE": ("Type de revenu", "Income type"),
    "NAME_EDUCATION_TYPE": ("Niveau d'études", "Education level"),
    "NAME_FAMILY_STATUS": ("Situation familiale", "Family status"),
    "NAME_HOUSING_TYPE": ("Type de logement", "Housing type"),
    "REGION_POPULATION_RELATIVE": ("Densité de population de la région", "Region population density"),
    "DAYS_BIRTH": ("Âge (jours, négatif)", "Age (days, negative)"),
    "DAYS_EMPLOYED": ("Ancienneté dans l'emploi (jours, négatif)", "Time employed (days, negative)"),
    "DAYS_REGISTRATION": ("Ancienneté de l'enregistrement (jours)", "Days since registration change"),
    "DAYS_ID_PUBLISH": ("Ancienneté de la pièce d'identité (jours)", "Days since ID document change"),
    "OWN_CAR_AGE": ("Âge de la voiture (années)", "Age of the car (years)"),
    "FLAG_MOBIL": ("A un téléphone mobile", "Has a mobile phone"),
    "FLAG_EMP_PHONE": ("A un téléphone professionnel", "Has an employer phone"),
    "FLAG_WORK_PHONE": ("A un téléphone au travail", "Has a work phone"),
    "FLAG_CONT_MOBILE": ("Mobile joignable", "Mobile phone reachable"),
    "FLAG_PHONE": ("A un téléphone fixe", "Has a home phone"),
    "FLAG_EMAIL": ("A donné un e-mail", "Gave an e-mail"),
    "OCCUPATION_TYPE": ("Profession", "Occupation"),
    "CNT_FAM_MEMBERS": ("Taille du foyer", "Family size"),
    "REGION_RATING_CLIENT": ("Note de la région", "Region rating"),
    "REGION_RATING_CLIENT_W_CITY": ("Note de la région et de la ville", "Region and city rating"),
    "WEEKDAY_APPR_PROCESS_START": ("Jour de la demande", "Application weekday"),
    "HOUR_APPR_PROCESS_START": ("Heure de la demande", "Application hour"),
    "REG_REGION_NOT_LIVE_REGION": ("Région d'adresse ≠ région de résidence", "Registered region ≠ living region"),
    "REG_REGION_NOT_WORK_REGION": ("Région d'adresse ≠ région de travail", "Registered region ≠ work region"),
    "LIVE_REGION_NOT_WORK_REGION": ("Région de résidence ≠ région de travail", "Living region ≠ work region"),
    "REG_CITY_NOT_LIVE_CITY": ("Ville d'adresse ≠ ville de résidence", "Registered city ≠ living city"),
    "REG_CITY_NOT_WORK_CITY": ("Ville d'adresse ≠ ville de travail", "Registered city ≠ work city"),
    "LIVE_CITY_NOT_WORK_CITY": ("Ville de résidence ≠ ville de travail", "Living city ≠ work city"),
    "ORGANIZATION_TYPE": ("Secteur de l'employeur", "Employer's sector"),
    "EXT_SOURCE_1": ("Score externe 1", "External score 1"),
    "EXT_SOURCE_2": ("Score externe 2", "External score 2"),
    "EXT_SOURCE_3": ("Score externe 3", "External score 3"),
    "FONDKAPREMONT_MODE": ("Fonds de rénovation de l'immeuble", "Building repair fund"),
    "HOUSETYPE_MODE": ("Type d'immeuble", "Building type"),
    "TOTALAREA_MODE": ("Surface totale de l'immeuble (normalisée)", "Building total area (normalised)"),
    "WALLSMATERIAL_MODE": ("Matériau des murs", "Wall material"),
    "EMERGENCYSTATE_MODE": ("Immeuble en état d'urgence", "Building in emergency state"),
    "OBS_30_CNT_SOCIAL_CIRCLE": ("Entourage observé (30 j de retard)", "Social circle observed (30 days past due)"),
    "DEF_30_CNT_SOCIAL_CIRCLE": ("Entourage en défaut (30 j)", "Social circle defaulted (30 days)"),
    "OBS_60_CNT_SOCIAL_CIRCLE": ("Entourage observé (60 j de retard)", "Social circle observed (60 days past due)"),
    "DEF_60_CNT_SOCIAL_CIRCLE": ("Entourage en défaut (60 j)", "Social circle defaulted (60 days)"),
    "DAYS_LAST_PHONE_CHANGE": ("Jours depuis le changement de téléphone", "Days since phone change"),
    # Engineered features.
    "AGE_YEARS": ("Âge (années)", "Age (years)"),
    "YEARS_EMPLOYED": ("Ancienneté dans l'emploi (années)", "Years employed"),
    "DAYS_EMPLOYED_ANOMALY": ("Sans emploi déclaré (retraité, etc.)", "No declared employment (pensioner, etc.)"),
    "CREDIT_INCOME_RATIO": ("Crédit / revenu", "Credit / income"),
    "ANNUITY_INCOME_RATIO": ("Taux d'effort (annuité / revenu)", "Debt ratio (annuity / income)"),
    "ANNUITY_CREDIT_RATIO": ("Annuité / crédit (rythme de remboursement)", "Annuity / credit (repayment pace)"),
    "CREDIT_GOODS_RATIO": ("Crédit / prix du bien", "Credit / goods price"),
    "EMPLOYED_AGE_RATIO": ("Part de la vie passée en emploi", "Share of life employed"),
    "INCOME_PER_PERSON": ("Revenu par personne du foyer", "Income per family member"),
    "EXT_SOURCE_MEAN": ("Moyenne des scores externes", "Mean of external scores"),
    "EXT_SOURCE_MIN": ("Minimum des scores externes", "Lowest external score"),
    "EXT_SOURCE_MAX": ("Maximum des scores externes", "Highest external score"),
    "EXT_SOURCE_STD": ("Dispersion des scores externes", "Spread of external scores"),
    "EXT_SOURCE_MISSING": ("Nombre de scores externes manquants", "Number of missing external scores"),
}

_STEM_LABELS: dict[str, tuple[str, str]] = {
    "APARTMENTS": ("appartements", "apartments"),
    "BASEMENTAREA": ("surface du sous-sol", "basement area"),
    "YEARS_BEGINEXPLUATATION": ("début d'exploitation", "start of use"),
    "YEARS_BUILD": ("année de construction", "construction year"),
    "COMMONAREA": ("parties communes", "common area"),
    "ELEVATORS": ("ascenseurs", "elevators"),
    "ENTRANCES": ("entrées", "entrances"),
    "FLOORSMAX": ("étages (max)", "floors (max)"),
    "FLOORSMIN": ("étages (min)", "floors (min)"),
    "LANDAREA": ("surface du terrain", "land area"),
    "LIVINGAPARTMENTS": ("appartements habités", "living apartments"),
    "LIVINGAREA": ("surface habitable", "living area"),
    "NONLIVINGAPARTMENTS": ("appartements non habités", "non-living apartments"),
    "NONLIVINGAREA": ("surface non habitable", "non-living area"),
}
_STAT_LABELS = {"AVG": ("moyenne", "average"), "MODE": ("mode", "mode"), "MEDI": ("médiane", "median")}
_BUREAU_LABELS = {
    "HOUR": ("dernière heure", "last hour"), "DAY": ("dernier jour", "last day"),
    "WEEK": ("dernière semaine", "last week"), "MON": ("dernier mois", "last month"),
    "QRT": ("dernier trimestre", "last quarter"), "YEAR": ("dernière année", "last year"),
}  # fmt: skip


def _all_labels() -> dict[str, tuple[str, str]]:
    labels = dict(_BASE)
    for stem in BUILDING_STEMS:
        fr, en = _STEM_LABELS[stem]
        for stat, (stat_fr, stat_en) in _STAT_LABELS.items():
            labels[f"{stem}_{stat}"] = (f"Immeuble : {fr} ({stat_fr}, normalisé)", f"Building: {en} ({stat_en}, normalised)")
    for name in DOCUMENT_FLAGS:
        number = name.rsplit("_", 1)[1]
        labels[name] = (f"Document n° {number} fourni", f"Document no. {number} provided")
    for name in BUREAU_REQUESTS:
        fr, en = _BUREAU_LABELS[name.rsplit("_", 1)[1]]
        labels[name] = (f"Demandes au bureau de crédit ({fr})", f"Credit bureau enquiries ({en})")
    return labels


LABELS: dict[str, tuple[str, str]] = _all_labels()


def label(name: str, lang: str = "fr") -> str:
    fr, en = LABELS.get(name, (name, name))
    return en if lang == "en" else fr


def labels_for(names: list[str], lang: str = "fr") -> dict[str, str]:
    if lang not in ("fr", "en"):
        raise ValueError("lang must be 'fr' or 'en'")
    return {name: label(name, lang) for name in names}
