"""Every sentence the dashboard shows, in French (default) and English.

One catalog so a reviewer can read (and a translator can fix) the whole interface in one
place, and a test can check that both languages have every key with the same placeholders.
Labels of features, explanations and executive summaries come from the API, which already
speaks both languages (``lang=fr|en``).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import (
    NumberFormatError,
    format_compact_currency,
    format_currency,
    format_decimal,
    format_percent,
    parse_decimal,
)

LANGUAGES: Final = ("fr", "en")
DEFAULT_LANGUAGE: Final = "fr"

CATALOG: Final[dict[str, dict[str, str]]] = {
    # -- shell -----------------------------------------------------------------------------
    "app.title": {"fr": "Octroi — scoring crédit", "en": "Octroi — credit scoring"},
    "app.language": {"fr": "Langue", "en": "Language"},
    "app.signed_in_as": {"fr": "Connecté : **{username}** ({role})", "en": "Signed in: **{username}** ({role})"},
    "app.logout": {"fr": "Se déconnecter", "en": "Log out"},
    "app.logged_out": {"fr": "Vous êtes déconnecté.", "en": "You are logged out."},
    "app.sign_in_again": {
        "fr": "Connectez-vous pour ouvrir cette page (recharger la page ou ouvrir un lien termine la session).",
        "en": "Log in to open this page (reloading the page or opening a link ends the session).",
    },
    "app.no_such_page": {
        "fr": "Aucune page d'Octroi à cette adresse : vérifiez le lien, ou ouvrez la première page.",
        "en": "No Octroi page at this address: check the link, or open the first page.",
    },
    "app.no_such_page_title": {"fr": "Adresse inconnue", "en": "Unknown address"},
    "app.not_in_this_session": {
        "fr": "Cette page n'est pas ouverte à votre rôle : choisissez une page dans le menu ou ouvrez la première.",
        "en": "This page is not open to your role: choose a page in the menu or open the first one.",
    },
    "role.advisor": {"fr": "conseiller", "en": "advisor"},
    "role.comex": {"fr": "COMEX", "en": "executive"},
    "role.compliance": {"fr": "conformité", "en": "compliance"},
    "role.admin": {"fr": "administrateur", "en": "administrator"},
    # Who acted from the command line on the server (`octroi ...`): a model promotion, a user
    # created at set-up. The trail holds it beside the four roles.
    "role.operator": {"fr": "exploitant (ligne de commande)", "en": "operator (command line)"},
    "nav.client": {"fr": "Dossier client", "en": "Client file"},
    "nav.new_applicant": {"fr": "Nouvelle demande", "en": "New applicant"},
    "nav.portfolio": {"fr": "Portefeuille", "en": "Portfolio"},
    "nav.model": {"fr": "Modèle", "en": "Model"},
    "nav.audit": {"fr": "Journal d'audit", "en": "Audit trail"},
    "nav.users": {"fr": "Utilisateurs", "en": "Users"},
    "nav.account": {"fr": "Mon compte", "en": "My account"},
    "nav.login": {"fr": "Connexion", "en": "Sign in"},
    "nav.change_password": {"fr": "Nouveau mot de passe", "en": "New password"},
    # -- login and password ----------------------------------------------------------------
    "login.title": {"fr": "Connexion à Octroi", "en": "Sign in to Octroi"},
    "login.intro": {
        "fr": "Identifiez-vous avec le compte fourni par votre administrateur.",
        "en": "Sign in with the account your administrator gave you.",
    },
    "login.username": {"fr": "Identifiant", "en": "Username"},
    "login.password": {"fr": "Mot de passe", "en": "Password"},
    "login.submit": {"fr": "Se connecter", "en": "Sign in"},
    "login.missing": {"fr": "Saisissez l'identifiant et le mot de passe.", "en": "Enter the username and the password."},
    "login.failed": {"fr": "Identifiant ou mot de passe incorrect.", "en": "Wrong username or password."},
    "login.locked": {
        "fr": "Compte temporairement verrouillé après plusieurs échecs. Réessayez dans {minutes} min.",
        "en": "Account temporarily locked after several failures. Try again in {minutes} min.",
    },
    "session.expired": {
        "fr": "Votre session a expiré. Merci de vous reconnecter.",
        "en": "Your session has expired. Please sign in again.",
    },
    "password.title": {"fr": "Changer le mot de passe", "en": "Change the password"},
    "password.forced": {
        "fr": "Vous utilisez un mot de passe à usage unique : choisissez votre mot de passe avant de continuer.",
        "en": "You are using a one-time password: choose your own password before going on.",
    },
    "password.current": {"fr": "Mot de passe actuel", "en": "Current password"},
    "password.new": {"fr": "Nouveau mot de passe", "en": "New password"},
    "password.confirm": {"fr": "Confirmez le nouveau mot de passe", "en": "Confirm the new password"},
    "password.rules": {
        "fr": "Au moins 12 caractères, pas un mot de passe courant, sans votre identifiant.",
        "en": "At least 12 characters, not a common password, without your username.",
    },
    "password.submit": {"fr": "Enregistrer", "en": "Save"},
    "password.mismatch": {"fr": "Les deux nouveaux mots de passe diffèrent.", "en": "The two new passwords differ."},
    "password.changed": {"fr": "Mot de passe modifié.", "en": "Password changed."},
    # -- errors ----------------------------------------------------------------------------
    "error.unreachable": {
        "fr": "Le service Octroi est injoignable. Réessayez dans un instant ; si cela persiste, prévenez le support.",
        "en": "The Octroi service cannot be reached. Try again in a moment; if it persists, tell support.",
    },
    "error.timeout": {
        "fr": "Le service Octroi met trop de temps à répondre. Réessayez dans un instant.",
        "en": "The Octroi service is taking too long to answer. Try again in a moment.",
    },
    "error.malformed": {
        "fr": "Le service Octroi a renvoyé une réponse illisible. Prévenez le support.",
        "en": "The Octroi service sent an unreadable answer. Please tell support.",
    },
    "error.too_large": {
        "fr": "La réponse du service est trop volumineuse pour être affichée ; affinez la recherche.",
        "en": "The service's answer is too large to show; narrow the search.",
    },
    "error.forbidden": {
        "fr": "Votre rôle ne permet pas cette action.",
        "en": "Your role does not allow this action.",
    },
    "error.not_found": {"fr": "Introuvable.", "en": "Not found."},
    "error.invalid": {"fr": "Saisie refusée : {detail}", "en": "Input refused: {detail}"},
    "error.conflict": {"fr": "Action refusée : {detail}", "en": "Action refused: {detail}"},
    "error.field_problem": {"fr": "{field} — {problem}", "en": "{field} — {problem}"},
    "error.problems_joined": {"fr": " ; ", "en": "; "},
    # The API's FieldError.reason, worded (frontend.ui.refusal_detail).
    "problem.invalid": {"fr": "valeur non valide", "en": "invalid value"},
    "problem.conflict": {"fr": "l'état actuel ne le permet pas", "en": "the current state does not allow it"},
    "problem.reason_required": {"fr": "obligatoire : dites pourquoi", "en": "required: say why"},
    "problem.decision_required": {"fr": "choisissez la nouvelle décision", "en": "choose the new decision"},
    "problem.decision_unchanged": {
        "fr": "une révision change la décision ; pour la garder, maintenez-la",
        "en": "a revision changes the decision; to keep it, uphold it",
    },
    "problem.decision_contested": {
        "fr": "la décision est contestée : un autre conseiller doit d'abord la réexaminer",
        "en": "the decision is contested: another advisor must review it first",
    },
    "problem.contest_open": {"fr": "la décision est déjà contestée", "en": "the decision is already contested"},
    "problem.decision_superseded": {
        "fr": "une révision l'a remplacée : contestez la décision en vigueur",
        "en": "a revision replaced it: contest the decision in force",
    },
    "problem.no_open_contest": {"fr": "aucune contestation en cours", "en": "no open contest"},
    "problem.not_found": {"fr": "introuvable", "en": "not found"},
    "problem.reviewer_is_decider": {
        "fr": "un autre conseiller que l'auteur de la décision doit la réexaminer",
        "en": "another advisor than the one who decided must review it",
    },
    "problem.snapshot_unavailable": {
        "fr": "impossible de reproduire cette décision (client effacé, ou décision antérieure aux instantanés)",
        "en": "this decision cannot be reproduced (erased client, or a decision older than snapshots)",
    },
    "problem.model_version_unavailable": {
        "fr": "la version du modèle de cette décision n'est plus au registre",
        "en": "the model version of this decision is no longer in the registry",
    },
    "problem.decision_changed": {
        "fr": "le dossier a changé entre-temps : relisez l'historique des décisions",
        "en": "the file changed meanwhile: read the decision history again",
    },
    "problem.review_final": {
        "fr": "l'issue du réexamen d'une contestation de votre décision revient à un autre conseiller",
        "en": "the outcome of a review of your decision is for another advisor to change",
    },
    "problem.missing": {"fr": "obligatoire", "en": "required"},
    "problem.empty": {"fr": "ne doit pas être vide", "en": "must not be empty"},
    "problem.no_words": {"fr": "dites pourquoi avec des mots", "en": "say why in words"},
    "problem.string_too_short": {"fr": "trop court", "en": "too short"},
    "problem.string_too_long": {"fr": "trop long", "en": "too long"},
    # backend/api/hygiene.py: what every route refuses before anything else.
    "problem.control_character": {"fr": "contient un caractère de contrôle ou invisible interdit",
                                  "en": "contains a forbidden control or invisible character"},
    "problem.invalid_unicode": {"fr": "contient un caractère illisible", "en": "contains an unreadable character"},
    "problem.unknown_parameter": {"fr": "paramètre inconnu", "en": "unknown parameter"},
    "problem.json_invalid": {"fr": "corps de requête illisible", "en": "unreadable request body"},
    "problem.expected_application_json": {"fr": "corps attendu en JSON", "en": "a JSON body was expected"},
    "problem.expected_form": {"fr": "corps attendu en formulaire", "en": "a form body was expected"},
    "problem.not_allowed_with_bundle": {"fr": "non permis avec l'export vérifiable",
                                        "en": "not allowed with the verifiable export"},
    "problem.string_pattern_mismatch": {"fr": "format non valide", "en": "invalid format"},
    "problem.contains_client_id": {
        "fr": "ne doit pas contenir l'identifiant du client (il n'est conservé que sous pseudonyme)",
        "en": "must not contain the client id (it is only kept under a pseudonym)",
    },
    "problem.password_too_short": {"fr": "trop court (12 caractères au moins)", "en": "too short (at least 12 characters)"},
    "problem.password_too_long": {"fr": "trop long (256 caractères au plus)", "en": "too long (at most 256 characters)"},
    "problem.password_too_common": {"fr": "trop courant ou trop répétitif", "en": "too common or too repetitive"},
    "problem.password_contains_username": {"fr": "ne doit pas contenir l'identifiant", "en": "must not contain the username"},
    "problem.password_unchanged": {"fr": "doit différer du mot de passe actuel", "en": "must differ from the current password"},
    "problem.password_reused": {
        "fr": "ne doit pas être un mot de passe à usage unique : un administrateur l'a vu",
        "en": "must not be a one-time password: an admin has seen it",
    },
    "problem.password_in_history": {
        "fr": "ne doit pas être l'un de vos 5 derniers mots de passe",
        "en": "must not be one of your last 5 passwords",
    },
    "problem.wrong_current_password": {"fr": "ce n'est pas votre mot de passe actuel", "en": "is not your current password"},
    "problem.username_format": {
        "fr": "3 à 64 caractères : minuscules, chiffres, « . », « _ » ou « - », en commençant par une lettre ou un chiffre",
        "en": "3 to 64 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
    },
    "problem.username_taken": {"fr": "déjà utilisé par un autre compte", "en": "already used by another account"},
    "problem.unknown_user": {"fr": "aucun compte de ce nom", "en": "no account with this name"},
    "problem.last_admin": {
        "fr": "le dernier administrateur actif ne peut être ni rétrogradé ni désactivé",
        "en": "the last active admin can be neither demoted nor disabled",
    },
    "problem.request_unrecorded": {
        "fr": "cette demande ne correspond pas à ce que le journal d'audit a enregistré (demandeur réécrit, ou "
        "événement purgé) : elle peut seulement être refusée",
        "en": "this request is not as the audit trail recorded it (its requester rewritten, or its event purged): "
        "it can only be rejected",
    },
    "problem.own_account": {
        "fr": "un administrateur ne change ni son propre rôle ni son propre statut : un autre administrateur le fait",
        "en": "an admin changes neither their own role nor their own status: another admin does it",
    },
    "users.own_account": {
        "fr": "Votre propre rôle et votre statut sont changés par un autre administrateur, jamais par vous-même : seul, un administrateur ne pourrait plus rien faire approuver.",
        "en": "Your own role and status are changed by another admin, never by yourself: alone, an admin could no longer have anything approved.",
    },
    "users.one_admin": {
        "fr": "Un seul administrateur actif : aucune demande (compte, rôle, réactivation, réinitialisation) ne peut être approuvée, il en faut un second. L'opérateur le crée : octroi users create <nom> --role admin.",
        "en": "Only one active admin: no request (account, role, enabling, reset) can be approved, a second one is needed. The operator creates one: octroi users create <name> --role admin.",
    },
    "problem.approval_required": {"fr": "demande à approuver par un second administrateur", "en": "needs a second admin's approval"},
    "problem.request_pending": {
        "fr": "une demande d'accès est en attente : un second administrateur doit d'abord la traiter",
        "en": "an access request is pending: a second admin must decide it first",
    },
    "problem.role_unchanged": {"fr": "le compte a déjà ce rôle", "en": "the account already has this role"},
    "problem.already_active": {"fr": "le compte est déjà actif", "en": "the account is already active"},
    "problem.unknown_request": {"fr": "aucune demande d'accès de ce numéro", "en": "no access request with this number"},
    "problem.request_decided": {"fr": "cette demande a déjà été traitée", "en": "this request was already decided"},
    "problem.four_eyes": {
        "fr": "un autre administrateur doit décider (ni le demandeur, ni la personne concernée)",
        "en": "another admin must decide (neither the requester nor the person concerned)",
    },
    "problem.too_many_failures": {
        "fr": "trop de mots de passe erronés en 24 heures pour un déverrouillage : le verrou cesse de lui-même, "
        "ou réinitialisez le mot de passe (avec un second administrateur)",
        "en": "too many wrong passwords in 24 hours for an unlock: the lock ends by itself, "
        "or reset the password (with a second admin)",
    },
    "error.unavailable": {
        "fr": "Le service est momentanément indisponible (rien n'a été enregistré). Réessayez.",
        "en": "The service is temporarily unavailable (nothing was recorded). Try again.",
    },
    "error.server": {
        "fr": "Le service a rencontré une erreur interne. Réessayez ; si cela persiste, prévenez le support.",
        "en": "The service hit an internal error. Try again; if it persists, tell support.",
    },
    "error.bad_credentials": {"fr": "Identifiant ou mot de passe incorrect.", "en": "Wrong username or password."},
    "error.locked": {"fr": "Trop de tentatives ; réessayez plus tard.", "en": "Too many attempts; try again later."},
    # -- issue 13: error codes ------------------------------------------------------------
    "error.rate_limited": {
        "fr": "Trop de demandes en peu de temps : réessayez dans {seconds} s.",
        "en": "Too many requests in a short time: try again in {seconds} s.",
    },
    "client.header": {
        "fr": "Client {client_id} · {age} · recommandation du modèle : {decision}",
        "en": "Client {client_id} · {age} · model recommendation: {decision}",
    },
    "client.age": {"fr": "{years} ans", "en": "aged {years}"},
    "client.age_unknown": {"fr": "âge inconnu", "en": "age unknown"},
    "client.imported": {"fr": "Dossier importé le {when} (heure de Paris).", "en": "File imported on {when} (Paris time)."},
    "form.age_years": {"fr": "Âge (années)", "en": "Age (years)"},
    "form.employed_years": {"fr": "Ancienneté dans l'emploi (années)", "en": "Years employed"},
    "form.years_value": {"fr": "{years} ans", "en": "{years} years"},
    "form.years_help": {"fr": "En années, entre {low} et {high}.", "en": "In years, between {low} and {high}."},
    "form.not_employed": {"fr": "Sans emploi (retraité, etc.)", "en": "Not employed (pensioner, etc.)"},
    "form.not_employed_help": {
        "fr": "Cochez pour un client sans emploi (retraité, chômeur…) et laissez l'ancienneté vide : "
              "la banque le code ainsi, et le modèle l'a appris. Laissée vide sans cocher, l'ancienneté est inconnue.",
        "en": "Tick for a client without a job (pensioner, unemployed…) and leave the time in job empty: "
              "the bank codes them so, and the model learned it. Left empty and unticked, the time in job is unknown.",
    },
    "form.not_employed_value": {"fr": "sans emploi", "en": "not employed"},
    "form.not_employed_conflict": {
        "fr": "« Sans emploi » est coché et une ancienneté est saisie : videz l'une ou décochez l'autre",
        "en": "“Not employed” is ticked and a time in job is typed: clear one or untick the other",
    },
    "form.required_help": {"fr": "Obligatoire.", "en": "Required."},
    "form.required_note": {
        "fr": "* obligatoire. Les champs laissés vides sont traités comme inconnus par le modèle.",
        "en": "* required. Fields left empty are treated as unknown by the model.",
    },
    "form.missing": {
        "fr": "Champs obligatoires à remplir : {fields}. Rien n'a été évalué.",
        "en": "Required fields to fill in: {fields}. Nothing was scored.",
    },
    "form.unreadable": {"fr": "Valeurs à corriger (rien n'a été évalué) :", "en": "Values to correct (nothing was scored):"},
    "form.employed_beyond_age": {
        "fr": "plus longue que l'âge ne le permet (on ne travaille pas avant {years} ans)",
        "en": "longer than the age allows (no one works before {years})",
    },
    "form.annuity_beyond_credit": {
        "fr": "l'annuité (remboursement d'une année) dépasse le montant du crédit lui-même",
        "en": "the annuity (a year's repayment) exceeds the credit amount itself",
    },
    "entry.not_a_number": {
        "fr": "« {text} » n'est pas un nombre (par exemple 42 000 ou 0,62)",
        "en": "“{text}” is not a number (for instance 42,000 or 0.62)",
    },
    "entry.ambiguous": {
        "fr": "« {text} » est ambigu : les milliers s'écrivent avec une espace (42 000), les décimales après une virgule (0,62)",
        "en": "“{text}” is ambiguous: write thousands with a comma (42,000) and decimals with a point (0.62)",
    },
    "entry.whole": {"fr": "{value} n'est pas un nombre entier", "en": "{value} is not a whole number"},
    "entry.range": {"fr": "{value} n'est pas entre {low} et {high}", "en": "{value} is not between {low} and {high}"},
    "form.refused": {
        "fr": "Valeur refusée pour : {fields}. Vérifiez qu'elle est dans les limites indiquées. Rien n'a été évalué.",
        "en": "Value refused for: {fields}. Check it lies within the limits shown. Nothing was scored.",
    },
    "comparison.density_title": {
        "fr": "{label} : répartition des bons payeurs et des défaillants",
        "en": "{label}: repayers and defaulters compared",
    },
    "comparison.density_axis": {"fr": "Part des clients du groupe", "en": "Share of the group's clients"},
    "comparison.bins_withheld": {
        "fr": "Une tranche n'est pas montrée : avec les clients sans valeur renseignée, ou comparée à la même "
              "tranche d'une version précédente du modèle, elle donnerait un nombre de 1 à 9 personnes (non "
              "publié, < 10 pers.). Les parts sont celles des tranches montrées.",
        "en": "One range is not shown: with the clients whose value is missing, or compared with the same range "
              "of an earlier version of the model, it would give a count of 1 to 9 people (not given, < 10 "
              "people). The shares are of the ranges shown.",
    },
    "comparison.similar_median": {"fr": "Clients similaires (médiane)", "en": "Similar clients (median)"},
    "comparison.percentile_axis": {
        "fr": "Centile dans la population (0 = plus petite valeur, 100 = plus grande)",
        "en": "Percentile in the population (0 = smallest value, 100 = largest)",
    },
    # One percentile definition everywhere (ml.bundle.percentile_rank): share below + half the ties.
    "comparison.percentile_axis_rank": {
        "fr": "Centile dans la population (part en dessous + moitié des ex æquo)",
        "en": "Population percentile (share below + half of those equal)",
    },
    "comparison.radar_note_rank": {
        "fr": "Chaque ligne situe une valeur parmi la population : la part de la population en dessous, plus la "
        "moitié de ceux qui ont la même valeur (une valeur partagée par beaucoup se place au milieu d'eux : la plus "
        "petite valeur, si 80 % des clients l'ont, se lit 40). Le client et les clients similaires sont placés de la même "
        "façon. Les réponses oui/non ne figurent pas. Une valeur haute n'est ni meilleure ni pire en soi : l'onglet "
        "« Décision et explication » dit ce qui pèse.",
        "en": "Each row places a value in the population: the share of the population below it, plus half of those "
        "with the same value (a value many share sits in their middle: the smallest value, held by "
        "80% of clients, reads 40). The client and the similar clients are placed the same way. Yes/no answers are left out. "
        "A high value is neither better nor worse in itself: the 'Decision and explanation' tab says what weighs.",
    },
    "comparison.population_median": {"fr": "Médiane de la population", "en": "Population median"},
    "comparison.radar_note": {
        "fr": "Chaque ligne situe la valeur du client parmi la population, de la plus petite (0) à la plus grande (100). "
        "Une valeur haute n'est ni meilleure ni pire en soi : l'onglet « Décision et explication » dit ce qui pèse.",
        "en": "Each row places the client's value in the population, from smallest (0) to largest (100). "
        "A high value is neither better nor worse in itself: the 'Decision and explanation' tab says what weighs.",
    },
    "comparison.atypicality_help": {
        "fr": "Part des caractéristiques connues du client hors de la plage habituelle (1er-99e centile).",
        "en": "Share of the client's known features outside the usual range (1st-99th percentile).",
    },
    "kpi.approval_rate_help": {
        "fr": "Part des demandes dont la probabilité de défaut est sous le seuil de décision ({threshold}).",
        "en": "Share of applications whose default probability is below the decision threshold ({threshold}).",
    },
    "kpi.expected_default_help": {
        "fr": "Probabilité de défaut moyenne des demandes accordées.",
        "en": "Mean default probability of the approved applications.",
    },
    "kpi.expected_loss_help": {
        "fr": "Somme, sur les demandes accordées, de la probabilité de défaut × la perte en cas de défaut ({lgd}) "
        "× le montant du crédit. La perte en cas de défaut est la part du crédit perdue après un défaut, "
        "une fois les recouvrements faits ; c'est un réglage de l'installation (OCTROI_LGD).",
        "en": "Sum over approved applications of default probability × loss given default ({lgd}) × credit "
        "amount. The loss given default is the share of the credit lost after a default, once recoveries "
        "are made; it is a setting of the installation (OCTROI_LGD).",
    },
    "kpi.lgd": {"fr": "Perte en cas de défaut : {lgd}", "en": "Loss given default: {lgd}"},
    "kpi.withheld": {"fr": "Non publié", "en": "Withheld"},
    "withheld.cell": {"fr": "Non publié (< 10 pers.)", "en": "Withheld (< 10 people)"},
    "portfolio.split_withheld.approved": {
        "fr": "Moins de {minimum} demandes seraient accordées : le taux d'accord, le défaut attendu, la perte attendue "
        "et le crédit accordé ne sont pas publiés, pour ne désigner personne.",
        "en": "Fewer than {minimum} applications would be approved: the approval rate, expected default, expected "
        "loss and approved credit are not published, so that no one is singled out.",
    },
    "portfolio.split_withheld.refused": {
        "fr": "Moins de {minimum} demandes seraient refusées : le taux d'accord n'est pas publié, pour ne désigner "
        "personne.",
        "en": "Fewer than {minimum} applications would be refused: the approval rate is not published, so that no "
        "one is singled out.",
    },
    "portfolio.split_withheld.beside": {
        "fr": "Le taux d'accord n'est pas publié : avec le rapport de dérive publié avant sur les mêmes dossiers, il "
        "désignerait moins de {minimum} personnes entre l'un de ses déciles et le seuil.",
        "en": "The approval rate is not published: with the drift report published before on the same applicants, it "
        "would single out fewer than {minimum} people between one of its deciles and the threshold.",
    },
    "portfolio.split_withheld.moved": {
        "fr": "Le taux d'accord n'est pas publié : les demandes accordées ou refusées (ou celles entre le seuil et un "
        "décile du rapport de dérive) ont changé de 1 à {minimum_minus} personnes depuis un calcul publié, et les deux "
        "taux donneraient la décision de ces personnes. Il le sera dès que l'écart atteindra {minimum} personnes au "
        "moins.",
        "en": "The approval rate is not published: the approved or refused applications (or those between the "
        "threshold and a decile of the drift report) changed by 1 to {minimum_minus} people since a published "
        "computation, and the two rates would give those people's decision. It will be once the change reaches at "
        "least {minimum} people.",
    },
    "portfolio.approved_moved": {
        "fr": "Les demandes accordées ont changé de 1 à {minimum_minus} personnes depuis un calcul publié : le défaut "
        "attendu, la perte attendue et le crédit accordé ne sont pas publiés, car la différence entre les deux calculs "
        "donnerait la probabilité et le montant de ces personnes. Ils le seront dès que {minimum} personnes au moins "
        "auront changé parmi les accordées.",
        "en": "The approved applications changed by 1 to {minimum_minus} people since a published computation: the "
        "expected default, expected loss and approved credit are not published, since the difference between the two "
        "would give those people's probability and amount. They will be once at least {minimum} people have changed "
        "among the approved.",
    },
    "portfolio.split_withheld.both": {
        "fr": "Moins de {minimum} demandes seraient accordées, et moins de {minimum} refusées : le taux d'accord, le "
        "défaut attendu, la perte attendue et le crédit accordé ne sont pas publiés, pour ne désigner personne.",
        "en": "Fewer than {minimum} applications would be approved, and fewer than {minimum} refused: the approval "
        "rate, expected default, expected loss and approved credit are not published, so that no one is singled out.",
    },
    "portfolio.merged_bands": {
        "fr": "Une classe de moins de {minimum} demandes est regroupée avec sa voisine (par exemple « F-G ») : "
        "la ligne couvre la plage de défaut des deux.",
        "en": "A class of fewer than {minimum} applications is merged with its neighbour (for example \"F-G\"): "
        "the row covers the default range of both.",
    },
    "portfolio.delta_vs": {"fr": "vs {day}", "en": "vs {day}"},
    "portfolio.previous": {
        "fr": "Variations par rapport au calcul du {ts} (heure de Paris) : modèle {version}, {count} demandes ; "
        "la perte attendue des deux calculs avec la même perte en cas de défaut.",
        "en": "Changes since the run of {ts} (Paris time): model {version}, {count} applicants; the expected "
        "loss of both runs with the same loss given default.",
    },
    "portfolio.no_previous": {
        "fr": "Pas de chiffre précédent à comparer : aucun calcul antérieur d'un autre modèle, ni du même modèle "
        "sur une population différente d'au moins 10 demandes (une comparaison plus fine isolerait des personnes).",
        "en": "No previous figure to compare with: no earlier run of another model, nor of the same model on a "
        "population at least 10 applicants different (a finer comparison would single people out).",
    },
    "kpi.approved_credit": {
        "fr": "Encours accordé : {amount} ; la perte attendue en représente {loss_share}.",
        "en": "Credit approved: {amount}; the expected loss is {loss_share} of it.",
    },
    "portfolio.pd_axis": {"fr": "Probabilité de défaut", "en": "Probability of default"},
    "portfolio.below_threshold": {"fr": "Sous le seuil : accordées", "en": "Below the threshold: approved"},
    "portfolio.above_threshold": {"fr": "Au-dessus du seuil : refusées (hachuré)", "en": "Above the threshold: refused (hatched)"},
    "portfolio.straddling_threshold": {"fr": "À cheval sur le seuil (calcul antérieur, à relancer)",
                                       "en": "Straddling the threshold (earlier computation, to be run again)"},
    "portfolio.straddling_merged": {"fr": "À cheval sur le seuil (moins de 10 demandes d'un côté, regroupées)",
                                    "en": "Straddling the threshold (fewer than 10 applications on one side, merged)"},
    "portfolio.merged_bins": {
        "fr": "Les tranches de moins de {minimum} demandes, ou qui ont changé de 1 à {minimum_minus} demandes depuis un calcul publié, sont regroupées avec leurs voisines, pour ne désigner personne : une barre plus large réunit plusieurs tranches et sa hauteur reste en demandes par point de pourcentage (le survol donne l'intervalle et le nombre).",
        "en": "Ranges of fewer than {minimum} applications, or that changed by 1 to {minimum_minus} applications since a published computation, are merged with their neighbours so that no one can be singled out: a wider bar covers several ranges and its height is still in applications per percentage point (hover for the range and the count).",
    },
    "portfolio.distribution_note": {
        "fr": "La surface de chaque barre compte les demandes d'une tranche de probabilité (les tranches n'ont pas toutes la même largeur : la hauteur est en demandes par point de pourcentage ; le nombre s'affiche au survol) ; le trait noir est le seuil de décision ({threshold}).",
        "en": "Each bar's area counts the applications in a probability range (the ranges are not all equally wide: the height is in applications per percentage point; hover for the count); the black line is the decision threshold ({threshold}).",
    },
    "portfolio.band_meaning": {"fr": "Définition", "en": "Definition"},
    "portfolio.band_range": {"fr": "{label} : défaut de {low} à {high}", "en": "{label}: default from {low} to {high}"},
    "portfolio.bands_note": {
        "fr": "Les classes sont l'échelle de notation fixe du modèle : chacune couvre une plage de probabilité de défaut.",
        "en": "The classes are the model's fixed rating scale: each covers a range of default probability.",
    },
    "model.costs_text": {
        "fr": "**Coûts retenus** : un défaut non détecté coûte {fn}, un bon client refusé coûte {fp}.",
        "en": "**Costs used**: a missed default costs {fn}, a good client refused costs {fp}.",
    },
    "metric.name": {"fr": "Mesure", "en": "Measure"},
    "metric.value": {"fr": "Valeur", "en": "Value"},
    "metric.auc": {"fr": "AUC (capacité à classer, 0,5 = hasard, 1 = parfait)", "en": "AUC (ranking power, 0.5 = chance, 1 = perfect)"},
    "metric.pr_auc": {"fr": "Aire sous la courbe précision-rappel", "en": "Area under the precision-recall curve"},
    "metric.brier": {"fr": "Score de Brier (erreur des probabilités, plus bas = mieux)", "en": "Brier score (probability error, lower is better)"},
    "metric.recall": {"fr": "Défauts détectés (rappel)", "en": "Defaults caught (recall)"},
    "metric.precision": {"fr": "Refus justifiés (précision)", "en": "Refusals that were defaults (precision)"},
    "metric.refusal_rate": {"fr": "Taux de refus", "en": "Refusal rate"},
    "metric.business_cost_per_client": {"fr": "Coût métier moyen par client (1 = un bon client refusé)",
                 "en": "Mean business cost per client (1 = one good client refused)"},
    "metric.evaluation": {"fr": "Méthode d'évaluation", "en": "Evaluation method"},
    "metric.evaluation_value": {
        "fr": "Validation croisée (prédictions hors échantillon)",
        "en": "Cross-validation (out-of-fold predictions)",
    },
    "attribute.CODE_GENDER": {"fr": "genre", "en": "gender"},
    "attribute.age_band": {"fr": "tranche d'âge", "en": "age band"},
    "attribute.AGE_BAND": {"fr": "tranche d'âge", "en": "age band"},
    "attribute.NAME_FAMILY_STATUS": {"fr": "situation familiale", "en": "family status"},
    "audit.action_help": {"fr": "Par exemple : auth.login, score.compute, user.update.", "en": "For example: auth.login, score.compute, user.update."},
    "audit.col.seq": {"fr": "N°", "en": "No."},
    "audit.col.when": {"fr": "Date (heure de Paris)", "en": "Date (Paris time)"},
    "audit.col.resource": {"fr": "Ressource", "en": "Resource"},
    "audit.col.ip": {"fr": "Adresse IP", "en": "IP address"},
    "audit.col.model_version": {"fr": "Version du modèle", "en": "Model version"},
    "audit.format.jsonl": {"fr": "JSON Lines", "en": "JSON Lines"},
    "audit.format.csv": {"fr": "CSV", "en": "CSV"},
    "audit.export_ready": {"fr": "Export prêt ({size} Kio).", "en": "Export ready ({size} KiB)."},
    "outcome.success": {"fr": "Succès", "en": "Success"},
    "outcome.denied": {"fr": "Refusé", "en": "Denied"},
    "outcome.error": {"fr": "Erreur", "en": "Error"},
    "users.current": {
        "fr": "**{username}** — rôle actuel : **{role}** ; compte {state}.",
        "en": "**{username}** — current role: **{role}**; account {state}.",
    },
    "users.state_active": {"fr": "actif", "en": "active"},
    "users.state_disabled": {"fr": "désactivé", "en": "disabled"},
    "users.new_role": {"fr": "Nouveau rôle", "en": "New role"},
    "users.confirm_role": {
        "fr": "Je confirme : {username} passe de « {old} » à « {new} ».",
        "en": "I confirm: {username} goes from '{old}' to '{new}'.",
    },
    "users.confirm_disable": {"fr": "Je confirme la désactivation de {username}.", "en": "I confirm disabling {username}."},
    "users.confirm_enable": {"fr": "Je confirme la réactivation de {username}.", "en": "I confirm enabling {username}."},
    "users.confirm_reset": {
        "fr": "Je confirme : l'ancien mot de passe de {username} cesse de fonctionner.",
        "en": "I confirm: {username}'s old password stops working.",
    },
    "users.role_done": {"fr": "Le rôle de {username} est maintenant « {role} ».", "en": "{username}'s role is now '{role}'."},
    "users.disabled_done": {
        "fr": "Le compte {username} est désactivé : ses sessions sont closes.",
        "en": "Account {username} is disabled: their sessions are ended.",
    },
    "users.enabled_done": {"fr": "Le compte {username} est réactivé.", "en": "Account {username} is enabled again."},
    "users.unlocked_done": {
        "fr": "Le compte {username} est déverrouillé : il peut se reconnecter.",
        "en": "Account {username} is unlocked: they can sign in again.",
    },
    "users.locked_until": {"fr": "Verrouillé jusqu'au", "en": "Locked until"},
    "users.must_change": {"fr": "Mot de passe à changer", "en": "Password to change"},
    "users.created_at": {"fr": "Créé le", "en": "Created on"},
    "users.unlock_note": {
        "fr": "{username} est verrouillé jusqu'au {until} après trop d'échecs de connexion : lever le verrouillage.",
        "en": "{username} is locked until {until} after too many failed sign-ins: lift the lock.",
    },
    "users.not_locked": {
        "fr": "{username} n'est pas verrouillé : rien à déverrouiller.",
        "en": "{username} is not locked: nothing to unlock.",
    },
    "portfolio.not_computed": {
        "fr": "Les chiffres du portefeuille ne sont pas encore calculés pour le modèle en service : "
        "ils le seront au prochain passage du traitement par lots.",
        "en": "The portfolio figures are not computed yet for the serving model: the next batch run will produce them.",
    },
    # -- end issue 13 -----------------------------------------------------------------------
    "error.session_expired": {
        "fr": "Votre session a expiré. Merci de vous reconnecter.",
        "en": "Your session has expired. Please sign in again.",
    },
    "error.password_change_required": {
        "fr": "Changez d'abord votre mot de passe à usage unique.",
        "en": "Change your one-time password first.",
    },
    "error.config": {
        "fr": "Configuration du tableau de bord invalide : {detail}",
        "en": "Invalid dashboard configuration: {detail}",
    },
    # -- advisor: client file --------------------------------------------------------------
    "client.title": {"fr": "Dossier client", "en": "Client file"},
    "client.lookup": {"fr": "Identifiant client de la banque", "en": "Bank client id"},
    "client.lookup_help": {"fr": "Le numéro client (SK_ID_CURR), par exemple 100001.", "en": "The client number (SK_ID_CURR), e.g. 100001."},
    "client.open": {"fr": "Ouvrir le dossier", "en": "Open the file"},
    "client.bad_id": {
        "fr": "L'identifiant client est un nombre entier positif d'au plus 12 chiffres, par exemple 100001.",
        "en": "The client id is a positive whole number of at most 12 digits, e.g. 100001.",
    },
    "client.unknown": {"fr": "Aucun client avec l'identifiant {client_id}.", "en": "No client with id {client_id}."},
    "client.prompt": {"fr": "Saisissez un identifiant client pour ouvrir son dossier.", "en": "Enter a client id to open their file."},
    "client.profile": {"fr": "Profil", "en": "Profile"},
    "client.tab.decision": {"fr": "Décision et explication", "en": "Decision and explanation"},
    "client.tab.comparison": {"fr": "Comparaison", "en": "Comparison"},
    "client.tab.similar": {"fr": "Clients similaires", "en": "Similar clients"},
    "client.tab.whatif": {"fr": "Simulation", "en": "What-if"},
    "client.tab.report": {"fr": "Rapport PDF", "en": "PDF report"},
    "score.title": {"fr": "Probabilité de défaut", "en": "Probability of default"},
    "score.threshold": {"fr": "Seuil {threshold}", "en": "Threshold {threshold}"},
    "score.decision": {"fr": "Recommandation du modèle", "en": "Model recommendation"},
    "recommendation.approve": {"fr": "Accord", "en": "Approve"},
    "recommendation.refuse": {"fr": "Refus", "en": "Refuse"},
    "score.display": {"fr": "Score Octroi (0-1000)", "en": "Octroi score (0-1000)"},
    "score.band": {"fr": "Classe de risque", "en": "Risk band"},
    "score.band_detail": {"fr": "{label} : probabilité de défaut de {low} à {high}",
                          "en": "{label}: probability of default {low} to {high}"},
    "score.model_version": {"fr": "Modèle {version}", "en": "Model {version}"},
    "decision.approve": {"fr": "Accordé", "en": "Approved"},
    "decision.refuse": {"fr": "Refusé", "en": "Refused"},
    "score.gauge_text": {
        "fr": "Probabilité de défaut {probability}, {side} : {label}.",
        "en": "Probability of default {probability}, {side}: {label}.",
    },
    # Which side of the threshold, in words as well as figures (the decision turns on it).
    "score.side_above": {"fr": "au-dessus du seuil de {threshold}", "en": "above the threshold of {threshold}"},
    "score.side_at": {"fr": "égale au seuil de {threshold}", "en": "equal to the threshold of {threshold}"},
    "score.side_below": {"fr": "sous le seuil de {threshold}", "en": "below the threshold of {threshold}"},
    "explanation.title": {"fr": "Ce qui a pesé dans la décision", "en": "What weighed in the decision"},
    "explanation.axis": {
        "fr": "Effet sur la probabilité de défaut (points de probabilité)",
        "en": "Effect on the probability of default (probability points)",
    },
    "explanation.raises": {"fr": "augmente le risque", "en": "raises the risk"},
    "explanation.lowers": {"fr": "diminue le risque", "en": "lowers the risk"},
    "explanation.text": {"fr": "En clair", "en": "In plain words"},
    "explanation.top": {"fr": "Nombre de facteurs", "en": "Number of factors"},
    "comparison.feature": {"fr": "Caractéristique", "en": "Feature"},
    "comparison.density": {"fr": "Distribution dans la population", "en": "Distribution in the population"},
    "comparison.percentile": {
        "fr": "Le client se situe au {percentile} centile de la population.",
        "en": "The client stands at the {percentile} percentile of the population.",
    },
    "comparison.percentile_lowest": {
        "fr": "Le client se situe sous le 1er centile de la population : moins de 1 % des clients ont une valeur plus basse.",
        "en": "The client stands below the 1st percentile of the population: fewer than 1% of clients have a lower value.",
    },
    "comparison.percentile_highest": {
        "fr": "Le client se situe au-dessus du 99e centile de la population : moins de 1 % des clients ont une valeur plus haute.",
        "en": "The client stands above the 99th percentile of the population: fewer than 1% of clients have a higher value.",
    },
    "comparison.client": {"fr": "Client", "en": "Client"},
    "comparison.population": {"fr": "Population", "en": "Population"},
    "comparison.similar": {"fr": "Clients similaires", "en": "Similar clients"},
    "comparison.median_default": {"fr": "Médiane des défaillants", "en": "Median of defaulters"},
    "comparison.median_repaid": {"fr": "Médiane des bons payeurs", "en": "Median of repayers"},
    "comparison.scatter": {"fr": "Deux caractéristiques croisées", "en": "Two features crossed"},
    "comparison.x": {"fr": "Axe horizontal", "en": "Horizontal axis"},
    "comparison.y": {"fr": "Axe vertical", "en": "Vertical axis"},
    "comparison.outcome_default": {"fr": "Défaut", "en": "Defaulted"},
    "comparison.outcome_repaid": {"fr": "Remboursé", "en": "Repaid"},
    "comparison.radar": {"fr": "Profil comparé (centiles)", "en": "Profile compared (percentiles)"},
    "comparison.atypical": {"fr": "Valeurs atypiques", "en": "Atypical values"},
    "comparison.atypical_none": {"fr": "Aucune valeur atypique.", "en": "No atypical value."},
    "comparison.atypical_item": {
        "fr": "**{label}** : {value} (centile {percentile})",
        "en": "**{label}**: {value} (percentile {percentile})",
    },
    # A yes/no or a level: no percentile, the share with the same answer (as the explanation text).
    "comparison.atypical_item_same": {
        "fr": "**{label}**\u00a0: {value} (même réponse que {share} de la population)",
        "en": "**{label}**: {value} (the same answer as {share} of the population)",
    },
    "comparison.atypicality": {"fr": "Indice d'atypicité", "en": "Atypicality score"},
    "comparison.scatter_legend": {
        "fr": "{n} profils anonymes de la population d'entraînement : ronds verts = remboursé, croix rouges = défaut ; étoile bleue = le client.",
        "en": "{n} anonymous profiles from the training population: green circles = repaid, red crosses = defaulted; blue star = the client.",
    },
    "comparison.show_similar": {"fr": "Superposer les clients similaires", "en": "Overlay the similar clients"},
    "comparison.similar_legend": {
        "fr": "Losanges orange = les clients similaires.",
        "en": "Orange diamonds = the similar clients.",
    },
    "comparison.no_points": {
        "fr": "Pas assez de profils de référence pour ce croisement.",
        "en": "Not enough reference profiles for this cross.",
    },
    "similar.k": {"fr": "Nombre de groupes similaires", "en": "Number of similar groups"},
    "similar.distance": {"fr": "Distance", "en": "Distance"},
    "simulation.unlearned": {
        "fr": "Laissés vides, mais presque jamais manquants dans les données d'apprentissage : {fields}. Le modèle n'a pas appris ce que « inconnu » y signifie ; leur effet sur ce score n'est pas fiable : renseignez-les.",
        "en": "Left empty, but almost never missing in the training data: {fields}. The model has not learned what \"unknown\" means there; their effect on this score is not reliable: fill them in.",
    },
    "score.unlearned": {
        "fr": "Inconnues dans ce dossier, et presque jamais manquantes dans les données d'apprentissage : {fields}. Le modèle n'a pas appris ce que « inconnu » y signifie : ce score est indicatif ; complétez le dossier.",
        "en": "Unknown in this file, and almost never missing in the training data: {fields}. The model has not learned what \"unknown\" means there: this score is indicative; complete the file.",
    },
    "simulation.beyond_training": {
        "fr": "Hors de ce que le modèle a appris : {fields}. Moins de 10 personnes des données d'apprentissage avaient une valeur aussi extrême : le modèle n'a rien pu apprendre au-delà et la traite comme les plus extrêmes qu'il a vues, quelle qu'elle soit ; ce score est une extrapolation. Vérifiez la saisie.",
        "en": "Beyond what the model learned from: {fields}. Fewer than 10 people in the training data had so extreme a value: the model could learn nothing beyond it and treats it like the most extreme ones it saw, whatever it is; this score is an extrapolation. Check what was typed.",
    },
    "score.beyond_training": {
        "fr": "Hors de ce que le modèle a appris : {fields}. Moins de 10 personnes des données d'apprentissage avaient une valeur aussi extrême : le modèle n'a rien pu apprendre au-delà et la traite comme les plus extrêmes qu'il a vues, quelle qu'elle soit ; ce score est une extrapolation. Vérifiez le dossier.",
        "en": "Beyond what the model learned from: {fields}. Fewer than 10 people in the training data had so extreme a value: the model could learn nothing beyond it and treats it like the most extreme ones it saw, whatever it is; this score is an extrapolation. Check the file.",
    },
    "simulation.unlearned_others": {
        "fr": "Inconnues aussi, et presque jamais manquantes à l'apprentissage : {count} variables que le formulaire ne demande pas (dont {examples}). Ce score est indicatif.",
        "en": "Also unknown, and almost never missing in training: {count} inputs the form does not ask (including {examples}). This score is indicative.",
    },
    "whatif.intro": {
        "fr": "Modifiez les valeurs du client pour voir l'effet sur le score. Rien n'est enregistré.",
        "en": "Change the client's values to see the effect on the score. Nothing is recorded.",
    },
    "whatif.submit": {"fr": "Simuler", "en": "Simulate"},
    "whatif.result": {
        "fr": "Nouvelle probabilité {probability} ({delta} points) : {decision}.",
        "en": "New probability {probability} ({delta} points): {decision}.",
    },
    "whatif.unchanged": {"fr": "Aucune valeur modifiée.", "en": "No value changed."},
    "whatif.changes": {"fr": "Valeurs simulées (dossier → simulation) :", "en": "Values simulated (file → simulation):"},
    "whatif.none": {
        "fr": "Aucun des principaux facteurs de ce client n'est une donnée modifiable.",
        "en": "None of this client's main factors is a field that can be changed.",
    },
    "form.unknown": {"fr": "— inconnu —", "en": "— unknown —"},
    "form.range": {"fr": "Entre {low} et {high}", "en": "Between {low} and {high}"},
    "report.intro": {
        "fr": "Rapport d'une page pour le dossier de crédit (score, décision, explication, comparaison). Généré à la demande, jamais conservé par Octroi.",
        "en": "One-page report for the credit file (score, decision, explanation, comparison). Generated on demand, never kept by Octroi.",
    },
    "report.generate": {"fr": "Générer le rapport", "en": "Generate the report"},
    "report.download": {"fr": "Télécharger le PDF", "en": "Download the PDF"},
    # -- advisor: new applicant ------------------------------------------------------------
    "applicant.title": {"fr": "Nouvelle demande", "en": "New applicant"},
    "applicant.intro": {
        "fr": "Saisissez les informations du demandeur pour obtenir un score immédiat. Rien n'est enregistré.",
        "en": "Enter the applicant's details for an immediate score. Nothing is recorded.",
    },
    "applicant.submit": {"fr": "Évaluer la demande", "en": "Score the application"},
    # -- COMEX -----------------------------------------------------------------------------
    "portfolio.title": {"fr": "Portefeuille", "en": "Portfolio"},
    "kpi.applicants": {"fr": "Demandes", "en": "Applicants"},
    "kpi.approval_rate": {"fr": "Taux d'accord", "en": "Approval rate"},
    "kpi.expected_default": {"fr": "Défaut attendu (accordés)", "en": "Expected default (approved)"},
    "kpi.expected_loss": {"fr": "Perte attendue", "en": "Expected loss"},
    "portfolio.distribution": {"fr": "Distribution des probabilités de défaut", "en": "Distribution of default probabilities"},
    "portfolio.count": {"fr": "Demandes", "en": "Applicants"},
    "portfolio.density": {"fr": "Demandes par point de %", "en": "Applications per % point"},
    "portfolio.bands": {"fr": "Classes de risque", "en": "Risk bands"},
    "portfolio.band": {"fr": "Classe", "en": "Band"},
    "portfolio.share": {"fr": "Part", "en": "Share"},
    "portfolio.summary": {"fr": "Synthèse", "en": "Executive summary"},
    "monitoring.by_segment": {"fr": "Par segment", "en": "By segment"},
    "monitoring.segment_gap": {"fr": "Écart au-delà du hasard", "en": "Gap beyond chance"},
    "monitoring.segment_gap_yes": {"fr": "oui", "en": "yes"},
    "monitoring.segment_gap_no": {"fr": "non", "en": "no"},
    "monitoring.segment_under": {"fr": "le risque de ce segment est sous-estimé", "en": "this segment's risk is underestimated"},
    "monitoring.segment_over": {"fr": "le risque de ce segment est surestimé", "en": "this segment's risk is overestimated"},
    "monitoring.segment_off": {
        "fr": "{axis} « {segment} » : {observed} de défauts observés contre {predicted} prédits ; {direction}, au-delà du hasard.",
        "en": "{axis} \"{segment}\": {observed} observed defaults against {predicted} predicted; {direction}, beyond chance.",
    },
    "monitoring.segments_explained": {
        "fr": "Défauts observés et prédits (moyenne des probabilités) des clients au devenir connu, par segment. "
        "« Écart au-delà du hasard » : le test d'étalonnage (observés contre somme des probabilités) rejette l'égalité "
        "au seuil de 5 % divisé par le nombre de segments testés de la segmentation (correction de Bonferroni). "
        "Le modèle n'utilise pas le genre ; un écart par genre dit que d'autres variables ne le remplacent pas.",
        "en": "Observed and predicted defaults (mean probability) of the clients with a known outcome, by segment. "
        "\"Gap beyond chance\": the calibration test (observed against the sum of probabilities) rejects equality "
        "at 5 % divided by the number of segments tested in the segmentation (Bonferroni correction). "
        "The model does not use gender; a gap by gender says other inputs do not stand in for it.",
    },
    "segments.title": {"fr": "Segments", "en": "Segments"},
    "segments.by": {"fr": "Segmenter par", "en": "Segment by"},
    "segments.contract_type": {"fr": "Type de contrat", "en": "Contract type"},
    "segments.gender": {"fr": "Genre", "en": "Gender"},
    "segments.age_band": {"fr": "Tranche d'âge", "en": "Age band"},
    "segments.income_type": {"fr": "Type de revenu", "en": "Income type"},
    "segments.education": {"fr": "Éducation", "en": "Education"},
    "segments.family_status": {"fr": "Situation familiale", "en": "Family status"},
    "segments.segment": {"fr": "Segment", "en": "Segment"},
    "segments.count": {"fr": "Demandes", "en": "Applicants"},
    "segments.approval_rate": {"fr": "Taux d'accord", "en": "Approval rate"},
    "segments.mean_probability": {"fr": "Probabilité moyenne", "en": "Mean probability"},
    # Segments too small to be shown alone are pooled, with the smallest others when the pool
    # needs them to hold 10 (a hidden segment was the total minus the rows shown: ml.disclosure).
    "segments.rates_withheld": {
        "fr": "Taux d'accord non publié pour {count} segment(s) : multiplié par le nombre de demandes, il donnerait "
        "le nombre exact d'accords ou de refus de moins de {minimum} personnes, directement, par différence avec le "
        "taux du portefeuille ou avec un calcul publié avant (accords ou refus changés de 1 à 9).",
        "en": "Approval rate not published for {count} segment(s): times the number of applicants it would give the "
        "exact number approved or refused of fewer than {minimum} people, directly, by difference with the "
        "portfolio's rate or with a computation published before (approvals or refusals changed by 1 to 9).",
    },
    "segments.suppressed": {
        "fr": "« Autres (regroupés) » réunit {count} segments : ceux de moins de 10 demandes et, s'il le faut, "
        "les plus petits des autres, pour que le groupe compte au moins 10 demandes. Ainsi, aucun chiffre ne porte sur "
        "moins de 10 personnes, pas même par différence avec le total du portefeuille.",
        "en": "\"Other (pooled)\" holds {count} segments: those under 10 applicants and, when needed, the "
        "smallest others, so that the group holds at least 10 applicants. No figure is thus about fewer than 10 people, "
        "not even by subtraction from the portfolio's total.",
    },
    "segments.moved": {
        "fr": "Dont {count} segment(s) d'au moins 10 demandes, regroupé(s) parce que leur population a changé de 1 à 9 "
        "personnes depuis un calcul publié : la différence entre les deux calculs donnerait les chiffres de ces "
        "personnes. Ils réapparaîtront quand 10 personnes au moins y auront changé.",
        "en": "Of which {count} segment(s) of 10 applicants or more, pooled because their population changed by 1 to 9 "
        "people since a published computation: the difference between the two would give those people's figures. "
        "They come back once at least 10 people in them have changed.",
    },
    "segments.moved_only": {
        "fr": "« Autres (regroupés) » réunit {count} segments d'au moins 10 demandes, regroupés parce que leur "
        "population a changé de 1 à 9 personnes depuis un calcul publié : la différence entre les deux calculs "
        "donnerait les chiffres de ces personnes. Ils réapparaîtront quand 10 personnes au moins y auront changé.",
        "en": "\"Other (pooled)\" holds {count} segments of 10 applicants or more, pooled because their population "
        "changed by 1 to 9 people since a published computation: the difference between the two would give those "
        "people's figures. They come back once at least 10 people in them have changed.",
    },
    "segments.pooled": {"fr": "Autres (regroupés)", "en": "Other (pooled)"},  # the API's "pooled" row
    "segments.hidden": {
        "fr": "{count} segments ne sont pas affichés : ceux de moins de 10 demandes et, s'il le faut, les plus petits "
        "des autres, pour qu'aucun chiffre ne porte sur moins de 10 personnes, pas même par différence avec le total "
        "du portefeuille.",
        "en": "{count} segments are not shown: those under 10 applicants and, when needed, the smallest others, so that "
        "no figure is about fewer than 10 people, not even by subtraction from the portfolio's total.",
    },
    "segments.suppressed_all": {
        "fr": "Trop peu de demandes pour un segment d'au moins 10 : aucun segment n'est affiché.",
        "en": "Too few applicants for a segment of at least 10: no segment is shown.",
    },
    "model.title": {"fr": "Le modèle", "en": "The model"},
    "model.card": {"fr": "Fiche du modèle", "en": "Model card"},
    "model.version": {"fr": "Version", "en": "Version"},
    "model.trained_at": {"fr": "Entraîné le", "en": "Trained on"},
    "model.threshold": {"fr": "Seuil de décision", "en": "Decision threshold"},
    "model.costs": {"fr": "Coûts (faux négatif / faux positif)", "en": "Costs (false negative / false positive)"},
    "model.metrics": {"fr": "Performances", "en": "Metrics"},
    "model.fairness": {"fr": "Équité", "en": "Fairness"},
    "model.features": {"fr": "Variables", "en": "Features"},
    "model.importance": {"fr": "Importance globale des variables", "en": "Global feature importance"},
    "model.importance_axis": {"fr": "Importance moyenne (|SHAP| moyen, en logit)",
                              "en": "Mean importance (mean |SHAP|, in log-odds)"},
    # -- compliance ------------------------------------------------------------------------
    "audit.title": {"fr": "Journal d'audit", "en": "Audit trail"},
    "audit.verify": {"fr": "Vérifier la chaîne", "en": "Verify the chain"},
    "audit.verified_at": {"fr": "Dernière vérification : {when} (heure de Paris)", "en": "Last verification: {when} (Paris time)"},
    "audit.valid": {
        "fr": "Chaîne intègre : {events} événements et {checkpoints} points de contrôle signés vérifiés.",
        "en": "Chain intact: {events} events and {checkpoints} signed checkpoints verified.",
    },
    "audit.backlog": {
        "fr": "Séquenceur : {count} événements enregistrés attendaient d'être chaînés (le plus ancien depuis {seconds} s) ; chaînés puis vérifiés.",
        "en": "Sequencer: {count} recorded events were waiting to be chained (the oldest for {seconds} s); chained, then verified.",
    },
    "audit.no_backlog": {
        "fr": "Séquenceur : aucun événement en attente de chaînage.",
        "en": "Sequencer: no event waiting to be chained.",
    },
    "audit.invalid": {
        "fr": "Chaîne ALTÉRÉE à partir de l'événement n°{seq} : {reason}",
        "en": "Chain TAMPERED from event #{seq}: {reason}",
    },
    # Why a verification failed (the API's reason_code); the API's `reason` stays English.
    "audit.reason.sequence_gap": {
        "fr": "un événement manque dans la séquence (supprimé ?).",
        "en": "an event is missing from the sequence (deleted?).",
    },
    "audit.reason.sequence_disorder": {
        "fr": "les événements ne se suivent plus dans l'ordre (réordonnés ?).",
        "en": "the events are no longer in order (reordered?).",
    },
    "audit.reason.link_broken": {
        "fr": "son lien vers l'événement précédent est rompu (événement inséré ou supprimé ?).",
        "en": "its link to the previous event is broken (an event inserted or removed?).",
    },
    "audit.reason.content_edited": {
        "fr": "son contenu ne correspond plus à son empreinte (modifié ?).",
        "en": "its content no longer matches its hash (edited?).",
    },
    "audit.reason.checkpoint_signature": {
        "fr": "un point de contrôle porte une signature invalide ou d'une clé inconnue.",
        "en": "a checkpoint's signature is invalid or from an unknown key.",
    },
    "audit.reason.checkpoint_mismatch": {
        "fr": "la chaîne diffère ici du point de contrôle signé (réécrite ?).",
        "en": "the chain differs here from the signed checkpoint (rewritten?).",
    },
    "audit.reason.tail_truncated": {
        "fr": "un point de contrôle signé se trouve au-delà de la fin de la chaîne : la fin du journal a été supprimée.",
        "en": "a signed checkpoint lies past the end of the chain: the end of the trail was cut.",
    },
    "audit.reason.anchor_signature": {
        "fr": "une ancre de purge porte une signature invalide ou d'une clé inconnue.",
        "en": "a purge anchor's signature is invalid or from an unknown key.",
    },
    "audit.reason.anchor_retention": {
        "fr": "une purge a supprimé des événements plus récents que la durée de conservation.",
        "en": "a purge removed events younger than the retention period.",
    },
    "audit.reason.purge_unanchored": {
        "fr": "les premiers événements manquent sans ancre de purge signée qui en rende compte.",
        "en": "the first events are missing and no signed purge anchor accounts for them.",
    },
    "audit.reason.witness_unreadable": {
        "fr": "un fichier du témoin (hors de la base) est illisible.",
        "en": "a file of the witness (outside the database) is unreadable.",
    },
    "audit.reason.witness_checkpoint_signature": {
        "fr": "un point de contrôle du témoin porte une signature invalide ou d'une clé inconnue.",
        "en": "a witness checkpoint's signature is invalid or from an unknown key.",
    },
    "audit.reason.witness_anchor_invalid": {
        "fr": "une ancre de purge du témoin est invalide (signature ou durée de conservation).",
        "en": "a witness purge anchor is invalid (signature or retention period).",
    },
    "audit.reason.head_shortened": {
        "fr": "le témoin détient un point de contrôle signé au-delà de la fin de la chaîne : la fin du journal a été supprimée.",
        "en": "the witness holds a signed checkpoint past the end of the chain: the end of the trail was cut.",
    },
    "audit.reason.witness_rewritten": {
        "fr": "la chaîne diffère du témoin (réécrite).",
        "en": "the chain differs from the witness (rewritten).",
    },
    "audit.reason.witness_checkpoint_missing": {
        "fr": "un point de contrôle du témoin manque dans la base (supprimé).",
        "en": "a witness checkpoint is missing from the database (deleted).",
    },
    "audit.reason.witness_anchor_missing": {
        "fr": "une ancre de purge du témoin manque dans la base (supprimée).",
        "en": "a witness purge anchor is missing from the database (deleted).",
    },
    "audit.reason.ts_backdated": {
        "fr": "il est daté bien avant l'événement qui le précède (inséré avec une fausse date ?).",
        "en": "it is dated well before the event chained before it (inserted with a false date?).",
    },
    "audit.reason.ts_future": {
        "fr": "il est daté après cette vérification (inséré avec une fausse date ?).",
        "en": "it is dated after this verification (inserted with a false date?).",
    },
    "audit.reason.ts_not_canonical": {
        "fr": "sa date est enregistrée sous une autre forme que celle des autres événements : les recherches et exports par date ne le trouvent plus (réécrite ?).",
        "en": "its date is stored in another form than the other events': searches and exports by date no longer find it (rewritten?).",
    },
    "audit.reason.erasure_undone": {
        "fr": "l'effacement qu'il enregistre a été défait hors d'Octroi (trace d'effacement supprimée, ou client de nouveau présent).",
        "en": "the erasure it records was undone outside Octroi (tombstone deleted, or the client back).",
    },
    "audit.reason.decision_altered": {
        "fr": "une décision de conseiller qu'il enregistre a été réécrite ou supprimée hors d'Octroi, ou une décision qu'aucun événement n'enregistre a été ajoutée.",
        "en": "an advisor's decision it records was rewritten or deleted outside Octroi, or a decision no event records was added.",
    },
    "audit.reason.account_altered": {
        "fr": "le rôle ou le statut d'un compte qu'il fixe a été changé hors d'Octroi (droits accordés sans approbation ?), ou le compte supprimé.",
        "en": "an account's role or status it sets was changed outside Octroi (access granted without approval?), or the account deleted.",
    },
    "audit.reason.mac_invalid": {
        "fr": "l'API n'a pas écrit cet événement : son sceau (MAC) ne correspond pas à son contenu ou à une clé "
        "connue (ligne insérée à la main dans la base ?).",
        "en": "the API did not write this event: its seal (MAC) matches neither its content nor a known key (a row "
        "inserted by hand into the database?).",
    },
    "audit.reason.mac_missing": {
        "fr": "cet événement n'a pas le sceau (MAC) que l'API appose à chaque événement (ligne insérée à la main dans "
        "la base ?).",
        "en": "this event lacks the seal (MAC) the API puts on every event (a row inserted by hand into the database?).",
    },
    "audit.reason.event_repeated": {
        "fr": "cet événement est la copie exacte d'un événement antérieur (même heure, même requête, même sceau) : "
        "l'API n'écrit jamais deux fois le même événement (copié dans la base ?).",
        "en": "this event is an exact copy of an earlier one (same time, request and seal): the API never writes the "
        "same event twice (copied into the database?).",
    },
    "audit.reason.other": {
        "fr": "raison que ce tableau de bord ne connaît pas ; « octroi audit verify » la détaille.",
        "en": "a reason this dashboard does not know; `octroi audit verify` details it.",
    },
    "audit.filters": {"fr": "Filtres", "en": "Filters"},
    "audit.actor": {"fr": "Acteur", "en": "Actor"},
    "audit.client": {"fr": "N° client", "en": "Client no."},
    "audit.client_help": {
        "fr": "Les événements concernant ce client (consultations, scores, décisions, effacement) : qui l'a consulté "
        "et quand. Le numéro est pseudonymisé par l'API ; le journal ne le contient jamais en clair.",
        "en": "The events about this client (reads, scores, decisions, erasure): who looked at the file and when. The "
        "API pseudonymizes the number; the trail never holds it in clear.",
    },
    "audit.action": {"fr": "Action", "en": "Action"},
    "audit.outcome": {"fr": "Résultat", "en": "Outcome"},
    "audit.any": {"fr": "(tous)", "en": "(any)"},
    "audit.from": {"fr": "Du", "en": "From"},
    "audit.to": {"fr": "Au", "en": "To"},
    "audit.page_size": {"fr": "Événements par page", "en": "Events per page"},
    "audit.search": {"fr": "Rechercher", "en": "Search"},
    "audit.next": {"fr": "Page suivante", "en": "Next page"},
    "audit.first": {"fr": "Première page", "en": "First page"},
    "audit.page": {"fr": "Page {page}", "en": "Page {page}"},
    "audit.empty": {"fr": "Aucun événement pour ces filtres.", "en": "No event for these filters."},
    "audit.bad_period": {
        "fr": "La date « Du » est après la date « Au » : corrigez la période pour rechercher.",
        "en": "The 'From' date is after the 'To' date: correct the period to search.",
    },
    "audit.export": {"fr": "Exporter", "en": "Export"},
    "audit.export_format": {"fr": "Format", "en": "Format"},
    "audit.export_prepare": {"fr": "Préparer l'export", "en": "Prepare the export"},
    "audit.export_filters": {
        "fr": "L'export reprend les filtres du tableau ci-dessus (ceux de la dernière recherche) : {filters}.",
        "en": "The export takes the filters of the table above (those of the last search): {filters}.",
    },
    "audit.export_filter": {"fr": "{field} « {value} »", "en": "{field} “{value}”"},
    "audit.export_all": {
        "fr": "L'export reprend le tableau ci-dessus : aucun filtre, tout le journal.",
        "en": "The export takes the table above: no filter, the whole trail.",
    },
    "audit.export_download": {"fr": "Télécharger l'export", "en": "Download the export"},
    # -- admin -----------------------------------------------------------------------------
    "users.title": {"fr": "Utilisateurs", "en": "Users"},
    "users.username": {"fr": "Identifiant", "en": "Username"},
    "users.full_name": {"fr": "Nom complet", "en": "Full name"},
    "users.role": {"fr": "Rôle", "en": "Role"},
    "users.active": {"fr": "Actif", "en": "Active"},
    "users.locked": {"fr": "Verrouillé", "en": "Locked"},
    "users.create": {"fr": "Créer un utilisateur", "en": "Create a user"},
    "users.create_submit": {"fr": "Créer", "en": "Create"},
    "users.created": {
        "fr": "Utilisateur **{username}** créé. Mot de passe à usage unique, affiché une seule fois :",
        "en": "User **{username}** created. One-time password, shown only once:",
    },
    "users.otp_note": {
        "fr": "Transmettez-le par un canal sûr ; il devra être changé à la première connexion.",
        "en": "Hand it over through a safe channel; it must be changed at first sign-in.",
    },
    "users.manage": {"fr": "Gérer un utilisateur", "en": "Manage a user"},
    "users.pick": {"fr": "Utilisateur", "en": "User"},
    "users.change_role": {"fr": "Changer le rôle", "en": "Change the role"},
    "users.disable": {"fr": "Désactiver", "en": "Disable"},
    "users.enable": {"fr": "Réactiver", "en": "Enable"},
    "users.unlock": {"fr": "Déverrouiller", "en": "Unlock"},
    "users.reset": {"fr": "Réinitialiser le mot de passe", "en": "Reset the password"},
    "users.done": {"fr": "Modification enregistrée pour {username}.", "en": "Change saved for {username}."},
    "users.reset_done": {
        "fr": "Nouveau mot de passe à usage unique de **{username}**, affiché une seule fois :",
        "en": "New one-time password for **{username}**, shown only once:",
    },
    "users.empty_name": {"fr": "L'identifiant est obligatoire.", "en": "The username is required."},
    # -- four-eyes access requests (issue 14; frontend/views/admin.py) ----------------------
    "access.title": {"fr": "Demandes d'accès en attente", "en": "Pending access requests"},
    "access.none": {"fr": "Aucune demande en attente.", "en": "No pending request."},
    "access.intro": {
        "fr": "Un rôle qui donne accès aux données personnelles (conseiller, conformité) ou le rôle "
              "administrateur est accordé par un second administrateur, jamais par celui qui l'a demandé.",
        "en": "A role that reaches personal data (advisor, compliance) or the admin role is granted by "
              "a second admin, never by the one who asked.",
    },
    "access.kind.create": {"fr": "nouveau compte", "en": "new account"},
    "access.kind.role": {"fr": "changement de rôle", "en": "role change"},
    "access.kind.enable": {"fr": "réactivation", "en": "re-enabling"},
    "access.kind.reset": {"fr": "nouveau mot de passe", "en": "new password"},
    "access.pick": {"fr": "Demande", "en": "Request"},
    "access.label": {
        "fr": "n° {id} : {kind} pour {username} ({role}), demandé par {requested_by}",
        "en": "#{id}: {kind} for {username} ({role}), asked by {requested_by}",
    },
    "access.waiting": {
        "fr": "En attente d'un second administrateur (vous ne pouvez pas l'approuver) :",
        "en": "Waiting for a second admin (you cannot approve it):",
    },
    "access.withdraw_pick": {"fr": "Votre demande à retirer", "en": "Your request to withdraw"},
    "access.withdraw": {"fr": "Retirer ma demande", "en": "Withdraw my request"},
    "access.withdraw_confirm": {
        "fr": "Je retire cette demande : rien ne sera accordé, une nouvelle demande serait à refaire.",
        "en": "I withdraw this request: nothing will be granted, a new request would be needed.",
    },
    "access.withdrawn": {"fr": "Demande n° {id} retirée : rien n'a été accordé.", "en": "Request #{id} withdrawn: nothing was granted."},
    "access.none_to_decide": {
        "fr": "Aucune demande d'un autre administrateur à décider.",
        "en": "No request from another admin to decide.",
    },
    "access.confirm": {"fr": "Je confirme ma décision", "en": "I confirm my decision"},
    "access.approve": {"fr": "Approuver", "en": "Approve"},
    "access.reject": {"fr": "Refuser", "en": "Reject"},
    "access.rejected": {"fr": "Demande n° {id} refusée.", "en": "Request #{id} rejected."},
    "access.approved_otp": {
        "fr": "Accès accordé à **{username}**. Son mot de passe à usage unique, à lui remettre, affiché une seule fois :",
        "en": "Access granted to **{username}**. Their one-time password, to hand over, shown only once:",
    },
    "access.pending_created": {
        "fr": "Compte de {username} créé, désactivé jusqu'à l'accord d'un second administrateur.",
        "en": "Account {username} created, disabled until a second admin approves.",
    },
    "access.pending_reset": {
        "fr": "Demande envoyée : un second administrateur approuvera et recevra le mot de passe de {username}.",
        "en": "Request sent: a second admin will approve and receive {username}'s password.",
    },
    "access.request_role": {"fr": "Demander ce rôle", "en": "Request this role"},
    "users.pending_block": {
        "fr": "Demande n° {id} ({kind}) en attente pour {username} : aucune autre modification de ce compte "
        "avant qu'un second administrateur l'ait approuvée ou refusée, sauf le désactiver, ce qui retire la demande.",
        "en": "Request #{id} ({kind}) is pending for {username}: no other change to this account until a "
        "second administrator approves or rejects it, except disabling it, which withdraws the request.",
    },
    "access.request_enable": {"fr": "Demander la réactivation", "en": "Request re-enabling"},
    "access.requested": {"fr": "Demande n° {id} envoyée pour {username}.", "en": "Request #{id} sent for {username}."},
    # -- data-subject requests, oversight, register, model card (issue 7) -----------------
    "nav.subject": {"fr": "Droits des personnes", "en": "Data-subject requests"},
    "nav.overrides": {"fr": "Dérogations au modèle", "en": "Model overrides"},
    "nav.register": {"fr": "Registre des traitements", "en": "Processing register"},
    "nav.model_card": {"fr": "Fiche du modèle", "en": "Model card"},
    "subject.title": {"fr": "Demandes des personnes concernées", "en": "Data-subject requests"},
    "retention.title": {"fr": "Durée de conservation des dossiers", "en": "Retention of applicants' files"},
    "retention.period": {"fr": "Durée sans activité", "en": "Period without activity"},
    "retention.days": {"fr": "{days} jours", "en": "{days} days"},
    "retention.period_help": {
        "fr": "Les données d'un demandeur sont supprimées, comme à un effacement mais sans trace d'effacement, "
        "quand son dossier n'a connu ni import modifié, ni décision, ni contestation pendant cette durée "
        "(OCTROI_CLIENT_RETENTION_DAYS). Ses décisions restent en statistiques anonymes.",
        "en": "An applicant's data are deleted, as on erasure but without a tombstone, once their file saw no "
        "changed import, decision or contest for this long (OCTROI_CLIENT_RETENTION_DAYS). Their decisions "
        "stay as anonymous statistics.",
    },
    "retention.held": {"fr": "Dossiers conservés", "en": "Files held"},
    "retention.due": {"fr": "À supprimer maintenant", "en": "Due for deletion now"},
    "retention.due_help": {
        "fr": "Dossiers arrivés au terme de la durée : la prochaine purge les supprime.",
        "en": "Files past the period: the next purge deletes them.",
    },
    "retention.due_soon": {"fr": "Terme dans {days} jours", "en": "Due within {days} days"},
    "retention.never": {
        "fr": "Aucune purge dans le journal d'audit.",
        "en": "No purge in the audit trail.",
    },
    "retention.last": {
        "fr": "Dernière purge le {when} (heure de Paris) par {actor} : {clients} dossiers supprimés, {events} "
        "événements d'audit.",
        "en": "Last purge on {when} (Paris time) by {actor}: {clients} files deleted, {events} audit events.",
    },
    "retention.run": {
        "fr": "{count} dossiers ont dépassé la durée de conservation : l'exploitant les supprime avec "
        "« octroi privacy purge » (à planifier chaque jour).",
        "en": "{count} files are past the retention period: the operator deletes them with "
        "'octroi privacy purge' (to be scheduled daily).",
    },
    "subject.intro": {
        "fr": "Accès et portabilité (art. 15 et 20 RGPD) ou effacement (art. 17) des données d'un client. Chaque action est journalisée ; l'export n'est pas conservé par Octroi.",
        "en": "Access and portability (GDPR Art. 15 and 20) or erasure (Art. 17) of a client's data. Every action is audited; Octroi does not keep the export.",
    },
    "subject.open": {"fr": "Rechercher", "en": "Look up"},
    "subject.tab.export": {"fr": "Accès et portabilité", "en": "Access and portability"},
    "subject.tab.erase": {"fr": "Effacement", "en": "Erasure"},
    "subject.download": {"fr": "Télécharger l'export (JSON)", "en": "Download the export (JSON)"},
    "subject.generated": {"fr": "Export généré le {ts} (heure de Paris).", "en": "Export generated on {ts} (Paris time)."},
    "subject.pseudonym": {"fr": "Pseudonyme", "en": "Pseudonym"},
    "subject.key_version": {"fr": "Version de clé", "en": "Key version"},
    "subject.imported_at": {"fr": "Importé le", "en": "Imported on"},
    "subject.stored": {"fr": "Données conservées", "en": "Stored data"},
    "subject.stored_count": {"fr": "{count} variables conservées.", "en": "{count} stored features."},
    "subject.automated": {"fr": "Décision automatisée", "en": "Automated decision"},
    "subject.automated_none": {"fr": "Aucun modèle chargé : {reason}", "en": "No model loaded: {reason}"},
    "subject.features_used": {"fr": "{count} variables utilisées par le modèle.", "en": "{count} features used by the model."},
    "subject.human": {"fr": "Décisions des conseillers", "en": "Advisors' decisions"},
    "subject.human_none": {"fr": "Aucune décision enregistrée.", "en": "No decision recorded."},
    "subject.events": {"fr": "Événements d'audit le concernant", "en": "Audit events about the client"},
    "subject.events_none": {"fr": "Aucun événement.", "en": "No event."},
    "subject.erase_intro": {
        "fr": "L'effacement supprime les données du client et tout résultat en cache. Restent, sous son pseudonyme et sans ses données : une trace d'effacement (tombstone), pour qu'un import ultérieur ne le réintroduise pas sans autorisation explicite, et les événements du journal d'audit le concernant, gardés jusqu'au terme de la conservation de l'audit (obligation légale) et toujours retrouvés par son identifiant ; ses décisions restent, anonymisées, dans les statistiques. Cette action est irréversible. Elle se fait à deux : votre demande est enregistrée, puis un autre agent de conformité la confirme en effaçant à son tour ce client ici ; rien n'est effacé avant.",
        "en": "Erasure deletes the client's data and any cached result. What remains, under their pseudonym and without their data: an erasure tombstone, so a later import does not bring the client back without explicit approval, and the audit trail's events about them, kept until the audit retention ends (a legal obligation) and still found by their id; their decisions stay, anonymised, in the statistics. This cannot be undone. It takes two: your request is recorded, then another compliance officer confirms it by erasing this client here in turn; nothing is erased before.",
    },
    "subject.erase_requested": {
        "fr": "Demande d'effacement n° {number} enregistrée le {ts} (heure de Paris). Rien n'est effacé : un autre agent de conformité doit la confirmer en effaçant à son tour ce client, avant le {expires}.",
        "en": "Erasure request no. {number} recorded on {ts} (Paris time). Nothing is erased: another compliance officer must confirm it by erasing this client in turn, before {expires}.",
    },
    "subject.erase_own_request": {
        "fr": "Vous avez déjà demandé cet effacement : un autre agent de conformité doit le confirmer. Rien n'a été effacé.",
        "en": "You already asked for this erasure: another compliance officer must confirm it. Nothing was erased.",
    },
    "erasure_requests.title": {"fr": "Demandes d'effacement en attente", "en": "Erasure requests pending"},
    "erasure_requests.none": {
        "fr": "Aucune demande d'effacement n'attend de confirmation.",
        "en": "No erasure request is waiting for confirmation.",
    },
    "erasure_requests.intro": {
        "fr": "Chacune attend un second agent de conformité, qui la confirme en effaçant le client (recherche ci-dessus, onglet « Effacement ») ; le numéro client n'est pas gardé, seul son pseudonyme. Son auteur peut la retirer, un autre agent la refuser.",
        "en": "Each is waiting for a second compliance officer, who confirms it by erasing the client (look-up above, \"Erasure\" tab); the client number is not kept, only its pseudonym. Its author may withdraw it, another officer refuse it.",
    },
    "erasure_requests.number": {"fr": "N°", "en": "No."},
    "erasure_requests.pseudonym": {"fr": "Pseudonyme", "en": "Pseudonym"},
    "erasure_requests.by": {"fr": "Demandée par", "en": "Requested by"},
    "erasure_requests.at": {"fr": "Le", "en": "On"},
    "erasure_requests.expires": {"fr": "Expire le", "en": "Lapses on"},
    "erasure_requests.choose": {"fr": "Demande", "en": "Request"},
    "erasure_requests.refuse": {"fr": "Refuser ou retirer la demande", "en": "Refuse or withdraw the request"},
    "erasure_requests.refused": {
        "fr": "Demande n° {number} refusée : rien n'a été effacé.",
        "en": "Request no. {number} refused: nothing was erased.",
    },
    "subject.erase_retype": {"fr": "Retapez l'identifiant client pour confirmer", "en": "Type the client id again to confirm"},
    "subject.erase_ack": {
        "fr": "Je confirme l'effacement définitif des données de ce client.",
        "en": "I confirm the permanent erasure of this client's data.",
    },
    "subject.erase_submit": {"fr": "Effacer les données", "en": "Erase the data"},
    "subject.erase_mismatch": {
        "fr": "Confirmation : l'identifiant retapé ne correspond pas à {client_id}. Rien n'a été effacé.",
        "en": "Confirmation: the id typed again does not match {client_id}. Nothing was erased.",
    },
    "subject.erase_unchecked": {
        "fr": "Confirmation : cochez la case pour confirmer. Rien n'a été effacé.",
        "en": "Confirmation: tick the box to confirm. Nothing was erased.",
    },
    "subject.erased": {
        "fr": "Données effacées le {ts} (heure de Paris). Variables supprimées : {features} ; cache vidé : {cache} ; trace d'effacement conservée : {tombstone} ; décisions anonymisées : {decisions}.",
        "en": "Data erased on {ts} (Paris time). Features deleted: {features}; cache emptied: {cache}; tombstone kept: {tombstone}; decisions anonymised: {decisions}.",
    },
    "subject.status_erased": {
        "fr": "Le client {client_id} a été effacé le {ts} (heure de Paris) : ses données ne sont plus détenues ; restent, sous son pseudonyme, une trace d'effacement (pour qu'il ne soit pas réimporté) et les événements d'audit le concernant, jusqu'au terme de la conservation de l'audit.",
        "en": "Client {client_id} was erased on {ts} (Paris time): their data is no longer held; under their pseudonym remain an erasure tombstone (so they are not imported again) and the audit events about them, until the audit retention ends.",
    },
    "subject.status_unknown": {
        "fr": "Aucun client avec l'identifiant {client_id}, ni aujourd'hui ni effacé (vérifié sous {versions} version(s) de clé de pseudonymisation).",
        "en": "No client with id {client_id}, neither now nor erased (checked under {versions} pseudonym key version(s)).",
    },
    # -- data-subject page without the export (budget spent), language switch ---------------
    "subject.tab.reproduce": {"fr": "Reproduire une décision", "en": "Reproduce a decision"},
    "subject.raw_value": {"fr": "Valeur dans le fichier de la banque", "en": "Value in the bank's file"},
    "subject.export_retry": {"fr": "Réessayer l'export", "en": "Try the export again"},
    "subject.export_in_lang": {"fr": "Générer l'export en français", "en": "Generate the export in English"},
    "subject.export_other_lang": {
        "fr": "Export en {language}, généré avant le changement de langue : il n'est généré à nouveau (et journalisé) "
              "que sur demande.",
        "en": "Export in {language}, generated before the language switch: it is generated again (and audited) only "
              "on request.",
    },
    "subject.lang.fr": {"fr": "français", "en": "French"},
    "subject.lang.en": {"fr": "anglais", "en": "English"},
    "subject.reproduce_by_id": {
        "fr": "Sans l'export, la liste des décisions du client n'est pas connue : saisissez le numéro de la "
              "décision (journal d'audit, rapport des dérogations).",
        "en": "Without the export the client's decisions are not listed: type the decision's number (audit "
              "trail, overrides report).",
    },
    "error.rate_limited_wait": {
        "fr": "Trop de demandes en peu de temps : réessayez dans {wait}.",
        "en": "Too many requests in a short time: try again in {wait}.",
    },
    "wait.seconds": {"fr": "{seconds} s", "en": "{seconds} s"},
    "wait.minutes": {"fr": "{minutes} min", "en": "{minutes} min"},
    "wait.hours": {"fr": "{hours} h", "en": "{hours} h"},
    "wait.hours_minutes": {"fr": "{hours} h {minutes} min", "en": "{hours} h {minutes} min"},
    "field.feature": {"fr": "Variable", "en": "Feature"},
    "field.label": {"fr": "Libellé", "en": "Label"},
    "field.when": {"fr": "Date", "en": "When"},
    "field.role": {"fr": "Rôle", "en": "Role"},
    "field.action": {"fr": "Action", "en": "Action"},
    "field.outcome": {"fr": "Résultat", "en": "Outcome"},
    "field.decision": {"fr": "Décision", "en": "Decision"},
    "field.recommendation": {"fr": "Recommandation du modèle", "en": "Model's recommendation"},
    "field.override": {"fr": "Dérogation", "en": "Override"},
    "field.reason": {"fr": "Motif", "en": "Reason"},
    "field.statement": {"fr": "Déclaration du client", "en": "Client's statement"},
    "field.username": {"fr": "Identifiant", "en": "Username"},
    "field.full_name": {"fr": "Nom complet", "en": "Full name"},
    "field.active": {"fr": "Compte actif", "en": "Active account"},
    "field.kind": {"fr": "Type de demande", "en": "Request kind"},
    "field.request": {"fr": "Demande d'accès", "en": "Access request"},
    "field.request_id": {"fr": "Demande d'accès", "en": "Access request"},
    "field.password": {"fr": "Mot de passe", "en": "Password"},
    "field.new_password": {"fr": "Nouveau mot de passe", "en": "New password"},
    "field.current_password": {"fr": "Mot de passe actuel", "en": "Current password"},
    "field.model_version": {"fr": "Version du modèle", "en": "Model version"},
    "field.effect": {"fr": "Effet (points)", "en": "Effect (points)"},
    "final.title": {"fr": "Décision finale du conseiller", "en": "Advisor's final decision"},
    "final.tab": {"fr": "Décision finale", "en": "Final decision"},
    "final.intro": {
        "fr": "Le modèle recommande : **{recommendation}**. La décision finale vous appartient (art. 22 RGPD) ; un motif est obligatoire si vous vous en écartez.",
        "en": "The model recommends: **{recommendation}**. The final decision is yours (GDPR Art. 22); a reason is required if you depart from it.",
    },
    "final.decision": {"fr": "Votre décision", "en": "Your decision"},
    "final.reason": {"fr": "Motif", "en": "Reason"},
    "final.reason_help": {
        "fr": "Obligatoire si la décision diffère de la recommandation. N'y écrivez pas l'identifiant du client.",
        "en": "Required when the decision differs from the recommendation. Do not write the client id in it.",
    },
    "final.submit": {"fr": "Enregistrer la décision", "en": "Record the decision"},
    "final.reason_required": {
        "fr": "Motif obligatoire : votre décision ({decision}) s'écarte de la recommandation du modèle ({recommendation}). Rien n'a été enregistré.",
        "en": "Reason required: your decision ({decision}) departs from the model's recommendation ({recommendation}). Nothing was recorded.",
    },
    "final.recorded": {
        "fr": "Décision enregistrée le {ts} (heure de Paris) : {decision} (recommandation du modèle : {recommendation}).",
        "en": "Decision recorded on {ts} (Paris time): {decision} (model's recommendation: {recommendation}).",
    },
    "final.override_note": {
        "fr": "Cette décision est une dérogation au modèle ; elle apparaît dans le rapport de la conformité.",
        "en": "This decision overrides the model; it appears in the compliance report.",
    },
    "overrides.title": {"fr": "Dérogations au modèle", "en": "Model overrides"},
    "overrides.intro": {
        "fr": "Fréquence à laquelle les conseillers s'écartent de la recommandation du modèle (surveillance du biais d'automatisation, art. 14 AI Act).",
        "en": "How often advisors depart from the model's recommendation (automation-bias monitoring, AI Act Art. 14).",
    },
    "overrides.period": {"fr": "Période", "en": "Period"},
    "overrides.bad_period": {
        "fr": "Période : choisissez une date de début et une date de fin.",
        "en": "Period: choose a start date and an end date.",
    },
    "overrides.range": {"fr": "Du {start} au {end} (inclus).", "en": "From {start} to {end} (inclusive)."},
    "overrides.decisions": {"fr": "Décisions", "en": "Decisions"},
    "overrides.overrides": {"fr": "Dérogations", "en": "Overrides"},
    "overrides.rate": {"fr": "Taux de dérogation", "en": "Override rate"},
    # Tile labels: short enough to read whole in a fifth of the page at 1400 px.
    "overrides.approved_against": {"fr": "Accordés malgré refus", "en": "Approved over refusal"},
    "overrides.refused_against": {"fr": "Refusés malgré accord", "en": "Refused over approval"},
    "overrides.advisor": {"fr": "Conseiller", "en": "Advisor"},
    "overrides.per_advisor": {"fr": "Par conseiller", "en": "Per advisor"},
    "overrides.empty": {"fr": "Aucune décision sur cette période.", "en": "No decision in this period."},
    "register.title": {"fr": "Registre des activités de traitement (art. 30)", "en": "Record of processing activities (Art. 30)"},
    "register.intro": {
        "fr": "Généré à partir des métadonnées du code et de la configuration en service, le {ts} (heure de Paris).",
        "en": "Generated from the code's metadata and the running configuration, on {ts} (Paris time).",
    },
    "register.controller": {"fr": "Responsable de traitement", "en": "Controller"},
    "register.system": {"fr": "Système", "en": "System"},
    "register.purposes": {"fr": "Finalités", "en": "Purposes"},
    "register.legal_bases": {"fr": "Bases légales", "en": "Legal bases"},
    "register.subjects": {"fr": "Personnes concernées", "en": "Data subjects"},
    "register.categories": {"fr": "Catégories de données (tables)", "en": "Data categories (tables)"},
    "register.features": {"fr": "Variables du modèle ({count})", "en": "Model features ({count})"},
    "register.recipients": {"fr": "Destinataires par rôle", "en": "Recipients by role"},
    "register.retention": {"fr": "Durées de conservation", "en": "Retention periods"},
    "register.security": {"fr": "Mesures de sécurité", "en": "Security measures"},
    "register.processors": {"fr": "Sous-traitants", "en": "Processors"},
    "register.transfers": {"fr": "Transferts hors UE", "en": "Transfers outside the EU"},
    "register.automated": {"fr": "Décision automatisée", "en": "Automated decision-making"},
    "register.col.table": {"fr": "Table", "en": "Table"},
    "register.col.category": {"fr": "Catégorie", "en": "Category"},
    "register.col.personal": {"fr": "Données personnelles", "en": "Personal data"},
    "register.col.columns": {"fr": "Colonnes", "en": "Columns"},
    "register.col.permissions": {"fr": "Permissions", "en": "Permissions"},
    "register.col.access": {"fr": "Accès aux données personnelles", "en": "Personal-data access"},
    "register.col.data": {"fr": "Données", "en": "Data"},
    "register.col.period": {"fr": "Durée", "en": "Period"},
    "register.col.setting": {"fr": "Réglage", "en": "Setting"},
    "register.col.value": {"fr": "Valeur", "en": "Value"},
    # The register's field names (the API writes the values in the page's language).
    "register.system.name": {"fr": "Nom", "en": "Name"},
    "register.system.environment": {"fr": "Environnement", "en": "Environment"},
    "register.system.ai_act": {"fr": "Règlement sur l'IA", "en": "AI Act"},
    "register.purpose.purpose": {"fr": "Finalité", "en": "Purpose"},
    "register.purpose.detail": {"fr": "Détail", "en": "Detail"},
    "register.processor.name": {"fr": "Sous-traitant", "en": "Processor"},
    "register.processor.role": {"fr": "Rôle", "en": "Role"},
    "register.automated.logic": {"fr": "Logique", "en": "Logic"},
    "register.automated.human_oversight": {"fr": "Supervision humaine", "en": "Human oversight"},
    "register.automated.explanation": {"fr": "Explication", "en": "Explanation"},
    "register.automated.contest": {"fr": "Contestation", "en": "Contest"},
    "card.title": {"fr": "Fiche du modèle", "en": "Model card"},
    "card.fairness_intro": {
        "fr": "Taux d'accord par groupe au seuil de décision. Règle des quatre cinquièmes : le groupe le moins accordé doit l'être au moins à 80 % du taux du groupe le plus accordé.",
        "en": "Approval rate per group at the decision threshold. Four-fifths rule: the least-approved group must reach at least 80% of the most-approved group's rate.",
    },
    "card.attribute": {"fr": "Attribut : {name}", "en": "Attribute: {name}"},
    "card.disparate_impact": {"fr": "Impact disparate", "en": "Disparate impact"},
    "card.rule_met": {"fr": "Règle des 4/5 respectée", "en": "Four-fifths rule met"},
    "card.rule_not_met": {"fr": "Règle des 4/5 NON respectée", "en": "Four-fifths rule NOT met"},
    "card.group": {"fr": "Groupe", "en": "Group"},
    "card.count": {"fr": "Clients", "en": "Clients"},
    "card.in_ratio": {"fr": "Dans le ratio", "en": "In the ratio"},
    "card.withheld": {
        "fr": "« Non publié » : le taux donnerait de 1 à 9 personnes (accordés ou refusés, défaillants ou non), dans "
        "le groupe, par soustraction depuis les totaux de la population ou depuis la fiche d'une version précédente "
        "du modèle. Un groupe sans son taux d'accord est exclu du ratio.",
        "en": "“Withheld”: the rate would give 1 to 9 people (approved or refused, defaulters or not), in the group, "
        "by subtraction from the population's totals or from an earlier version's card. A group without its "
        "approval rate is left out of the ratio.",
    },
    "card.ratio_groups": {
        "fr": "L'impact disparate compare les groupes d'au moins {count} clients (1 % de tous), hors « non "
        "renseigné » ; un groupe de moins de 10 personnes n'est montré que par son effectif.",
        "en": "The disparate impact compares groups of at least {count} clients (1% of all), \"not given\" left "
        "out; a group of fewer than 10 people is shown by its count only.",
    },
    "card.pooled": {
        "fr": "« {pool} » réunit les groupes de moins de 10 personnes et, pour qu'aucune soustraction "
        "depuis les totaux ne les isole, les plus petits groupes affichés à côté : {groups}. Ces groupes ne sont "
        "montrés que par leur effectif.",
        "en": "\"{pool}\" holds the groups of fewer than 10 people and, so that no subtraction from the "
        "totals singles them out, the smallest groups shown beside them: {groups}. Those groups are shown by their "
        "count only.",
    },
    "card.in_pool": {"fr": "regroupé", "en": "pooled"},
    "card.pool_of": {"fr": "{groups} (regroupés)", "en": "{groups} (pooled)"},
    "card.ratio_pool_unknown": {
        "fr": "Le groupe regroupé compte {count} « non renseigné » : ils entrent dans le ratio avec lui, pour "
        "qu'aucun chiffre ne les isole.",
        "en": "The pooled group holds {count} \"not given\": they enter the ratio with it, so that no figure "
        "isolates them.",
    },
    "card.approval_rate": {"fr": "Taux d'accord", "en": "Approval rate"},
    "card.default_rate": {"fr": "Défaut observé", "en": "Observed default"},
    "card.predicted_rate": {"fr": "Défaut prédit", "en": "Predicted default"},
    "card.limits": {"fr": "Limites du modèle", "en": "Limits of the model"},
    "card.no_fairness": {"fr": "Aucun indicateur d'équité dans ce modèle.", "en": "No fairness figure in this model."},
    "card.full": {"fr": "Fiche complète", "en": "Full model card"},
    # -- common ----------------------------------------------------------------------------
    "common.yes": {"fr": "oui", "en": "yes"},
    "common.no": {"fr": "non", "en": "no"},
    "common.unknown": {"fr": "inconnu", "en": "unknown"},
    "common.value": {"fr": "Valeur", "en": "Value"},
    "common.loading": {"fr": "Chargement…", "en": "Loading…"},

    # -- issue 12: lawful and truthful figures (owned by the model lane) -----------------------
    "score.borderline": {
        "fr": "Cas limite : la recommandation change selon l'échantillon de validation. Revue humaine conseillée.",
        "en": "Borderline: the recommendation changes with the validation sample. Human review advised.",
    },
    "score.display_help": {
        "fr": "Correspondance fixe avec la probabilité de défaut : plus haut = plus sûr ; 600 pour 50 bons "
        "payeurs pour 1 défaut, +40 points chaque fois que ce rapport double. Indépendant du seuil.",
        "en": "Fixed mapping of the probability of default: higher is safer; 600 at 50 good payers per "
        "defaulter, +40 points each time those odds double. Independent of the threshold.",
    },
    "score.band_help": {
        "fr": "Classe de l'échelle de PD fixe de la banque (A à G) : elle ne change pas quand le modèle est "
        "réentraîné. La décision se prend à part, contre le seuil.",
        "en": "Grade on the bank's fixed PD master scale (A to G): it does not move when the model is retrained. "
        "The decision is taken separately, against the threshold.",
    },
    "explanation.rest": {"fr": "Les {count} autres facteurs, ensemble", "en": "The {count} other factors, together"},
    "explanation.base": {
        "fr": "Risque moyen de la population : {base}. Les effets s'additionnent à partir du point de référence "
        "du modèle ({reference}) jusqu'à la probabilité du client ({probability}).",
        "en": "Population average risk: {base}. The effects add up from the model's reference point "
        "({reference}) to the client's probability ({probability}).",
    },
    "comparison.group_below": {"fr": "Groupes sous la moyenne", "en": "Groups below average"},
    "comparison.group_above": {"fr": "Groupes au-dessus de la moyenne", "en": "Groups above average"},
    "comparison.prototype_legend": {
        "fr": "{n} groupes anonymes de clients (médianes) : ronds verts = taux de défaut sous la moyenne "
        "({average}), croix rouges = au-dessus ; étoile bleue = le client.",
        "en": "{n} anonymous groups of clients (medians): green circles = default rate below average "
        "({average}), red crosses = above; blue star = the client.",
    },
    "similar.prototypes_rate": {
        "fr": "Taux de défaut des {k} groupes les plus proches ({people} personnes) : {rate} (population : {population}).",
        "en": "Default rate of the {k} closest groups ({people} people): {rate} (population: {population}).",
    },
    "similar.prototypes_note": {
        "fr": "Groupes anonymes d'au moins {min} clients de l'historique d'entraînement : aucune personne, "
        "aucune ligne individuelle. Valeurs affichées : la médiane du groupe (nombres) ou sa catégorie la plus "
        "fréquente, sous celles du client. Distance : proximité au client dans l'espace des variables "
        "comparées (0 = identique).",
        "en": "Anonymous groups of at least {min} clients from the training history: no person, no individual "
        "row. Values shown: the group's median (numbers) or its most common category, under the client's. "
        "Distance: closeness to the client in the space of the compared features (0 = identical).",
    },
    "similar.who": {"fr": "Profil", "en": "Profile"},
    "similar.this_client": {"fr": "Ce client", "en": "This client"},
    "similar.group": {"fr": "Groupe {n}", "en": "Group {n}"},
    "similar.size": {"fr": "Taille du groupe", "en": "Group size"},
    "similar.default_rate": {"fr": "Taux de défaut", "en": "Default rate"},
    "explanation.justified": {
        "fr": "Attribut protégé utilisé avec justification (voir la fiche du modèle) ; jamais donné comme motif au client.",
        "en": "Protected attribute used with a justification (see the model card); never given to the client as a reason.",
    },
    # -- model lifecycle (issue 15: decision history, contest, review, reproduce, challenger) --
    "lifecycle.history": {"fr": "Historique des décisions", "en": "Decision history"},
    "lifecycle.history_none": {"fr": "Aucune décision enregistrée pour ce client.", "en": "No decision recorded for this client."},
    "lifecycle.when": {"fr": "Date", "en": "When"},
    "lifecycle.kind": {"fr": "Type", "en": "Kind"},
    "lifecycle.kind_decision": {"fr": "Décision", "en": "Decision"},
    "lifecycle.kind_revision": {"fr": "Révision", "en": "Revision"},
    "lifecycle.who": {"fr": "Conseiller", "en": "Advisor"},
    "lifecycle.in_force": {"fr": "En vigueur", "en": "In force"},
    "lifecycle.contest_line": {
        "fr": "Contestation du {when} ({status}) : « {statement} »",
        "en": "Contest of {when} ({status}): “{statement}”",
    },
    "lifecycle.review_line": {
        "fr": "Réexaminée par {who} le {when} : {reason}",
        "en": "Reviewed by {who} on {when}: {reason}",
    },
    "lifecycle.status_open": {"fr": "en attente de réexamen", "en": "awaiting review"},
    "lifecycle.status_upheld": {"fr": "décision maintenue", "en": "decision upheld"},
    "lifecycle.status_revised": {"fr": "décision révisée", "en": "decision revised"},
    "lifecycle.revise_tab": {"fr": "Réviser la décision", "en": "Revise the decision"},
    "lifecycle.contest_tab": {"fr": "Contestation du client", "en": "Client's contest"},
    "lifecycle.revise_intro": {
        "fr": "La décision en vigueur est « {decision} ». Une révision crée une nouvelle décision ; l'historique est conservé.",
        "en": "The decision in force is “{decision}”. A revision creates a new decision; the history is kept.",
    },
    "lifecycle.revise_reason_help": {
        "fr": "Obligatoire : dites pourquoi la décision change.",
        "en": "Mandatory: say why the decision changes.",
    },
    "lifecycle.revise_reason_required": {
        "fr": "Le motif est obligatoire pour réviser une décision (nouvelle décision : {decision}).",
        "en": "A reason is mandatory to revise a decision (new decision: {decision}).",
    },
    "lifecycle.revise_submit": {"fr": "Enregistrer la révision", "en": "Record the revision"},
    "lifecycle.contest_intro": {
        "fr": "Le client conteste la décision et demande un réexamen humain : notez son point de vue tel qu'il l'exprime. Un autre conseiller devra le réexaminer.",
        "en": "The client contests the decision and asks for a human review: record their point of view as they express it. Another advisor will review it.",
    },
    "lifecycle.statement": {"fr": "Point de vue du client", "en": "The client's point of view"},
    "lifecycle.statement_required": {"fr": "Le point de vue du client est obligatoire.", "en": "The client's point of view is mandatory."},
    "lifecycle.contest_submit": {"fr": "Enregistrer la contestation", "en": "Record the contest"},
    "lifecycle.review_by_another": {
        "fr": "Cette décision est contestée. Vous l'avez prise ({advisor}) : son réexamen revient à un autre "
        "conseiller, qui le verra en ouvrant ce dossier.",
        "en": "This decision is contested. You made it ({advisor}): another advisor reviews it, and will see "
        "the contest on opening this file.",
    },
    "lifecycle.review_intro": {
        "fr": "Cette décision est contestée. Le réexamen doit être fait par un autre conseiller que {advisor}.",
        "en": "This decision is contested. The review must be done by another advisor than {advisor}.",
    },
    "lifecycle.outcome": {"fr": "Issue du réexamen", "en": "Outcome of the review"},
    "lifecycle.review_new_decision": {
        "fr": "Si la décision est révisée, elle devient : {decision}.",
        "en": "If the decision is revised, it becomes: {decision}.",
    },
    "lifecycle.review_submit": {"fr": "Enregistrer le réexamen", "en": "Record the review"},
    "lifecycle.review_reason_required": {"fr": "Le motif du réexamen est obligatoire.", "en": "The review's reason is mandatory."},
    "lifecycle.review_self": {
        "fr": "Vous avez pris la décision contestée : un autre conseiller doit la réexaminer.",
        "en": "You took the contested decision: another advisor must review it.",
    },
    # Two advisors on one file (the API's decision_changed, review_final): frontend/views/decisions.py
    "lifecycle.contest_recorded": {
        "fr": "Contestation enregistrée : un autre conseiller doit maintenant la réviser.",
        "en": "Contest recorded: another advisor must now review it.",
    },
    "lifecycle.review_recorded_upheld": {
        "fr": "Réexamen enregistré : la décision contestée est maintenue.",
        "en": "Review recorded: the contested decision is upheld.",
    },
    "lifecycle.review_recorded_revised": {
        "fr": "Réexamen enregistré : la décision contestée est remplacée (voir l'historique).",
        "en": "Review recorded: the contested decision is replaced (see the history).",
    },
    "lifecycle.decision_changed": {
        "fr": "Un autre conseiller a enregistré une décision entre-temps : relisez l'historique ci-dessous. "
        "Votre saisie n'a pas été enregistrée.",
        "en": "Another advisor recorded a decision meanwhile: read the history below. Your entry was not recorded.",
    },
    "lifecycle.history_reread": {
        "fr": "L'historique ci-dessous est à jour : relisez-le.",
        "en": "The history below is up to date: read it again.",
    },
    "lifecycle.review_final": {
        "fr": "La décision en vigueur ({decision}) est l'issue du réexamen d'une contestation de votre décision : "
        "seul un autre conseiller peut la réviser, ou la réexaminer si le client la conteste à nouveau.",
        "en": "The decision in force ({decision}) is the outcome of a review of a contest of your decision: only "
        "another advisor may revise it, or review it if the client contests it again.",
    },
    "lifecycle.review_final_refused": {
        "fr": "La décision en vigueur est l'issue du réexamen d'une contestation de votre décision : un autre "
        "conseiller doit s'en charger. Rien n'a été enregistré ; l'historique ci-dessous est à jour.",
        "en": "The decision in force is the outcome of a review of a contest of your decision: another advisor "
        "must handle it. Nothing was recorded; the history below is up to date.",
    },
    "lifecycle.revise_to": {"fr": "Nouvelle décision : **{decision}**.", "en": "New decision: **{decision}**."},
    "lifecycle.refresh": {"fr": "Actualiser l'historique", "en": "Refresh the history"},
    "lifecycle.count_contests": {"fr": "Contestations", "en": "Contests"},
    "lifecycle.count_open": {"fr": "En attente", "en": "Awaiting review"},
    "lifecycle.count_upheld": {"fr": "Maintenues", "en": "Upheld"},
    "lifecycle.count_revised": {"fr": "Révisées", "en": "Revised"},
    "lifecycle.counts_note": {
        "fr": "Maintenues, révisées : issue du réexamen des contestations. Révisions (toutes) : décisions remplacées, "
        "contestées ou non.",
        "en": "Upheld, revised: outcome of the contests' review. Revisions (all): decisions replaced, contested or not.",
    },
    "lifecycle.count_revisions": {"fr": "Révisions (toutes)", "en": "Revisions (all)"},
    "lifecycle.reasons": {"fr": "Motifs des dérogations", "en": "Reasons for the overrides"},
    "lifecycle.reasons_none": {"fr": "Aucune dérogation sur cette période.", "en": "No override in this period."},
    "lifecycle.reason_erased": {"fr": "(effacé : client supprimé)", "en": "(erased with the client)"},
    "lifecycle.reproduce": {"fr": "Reproduire une décision passée", "en": "Reproduce a past decision"},
    "lifecycle.reproduce_intro": {
        "fr": "Recalcule le score et l'explication à partir des données vues par le modèle lors de la décision, avec la version du modèle de l'époque. Rien n'est enregistré.",
        "en": "Recomputes the score and explanation from the data the model saw when the decision was taken, with that model version. Nothing is stored.",
    },
    "lifecycle.decision_id": {"fr": "Décision n°", "en": "Decision no."},
    "lifecycle.reproduce_button": {"fr": "Reproduire", "en": "Reproduce"},
    "lifecycle.audit_purged": {
        "fr": "Décision plus ancienne que la conservation du journal d'audit ({days} jours) : son événement a été "
        "supprimé par la purge signée (événements jusqu'au n° {seq}, le plus récent du {when}). Les entrées et le "
        "modèle sont vérifiés ; la ligne de décision n'a pas pu être comparée à un événement chaîné.",
        "en": "Decision older than the audit trail's retention ({days} days): its event was deleted by the signed "
        "purge (events up to no. {seq}, the newest dated {when}). The inputs and the model are checked; the decision "
        "row could not be compared with a chained event.",
    },
    "lifecycle.identical": {
        "fr": "Identique : la version {version} recommande à nouveau « {decision} » (probabilité {probability}) ; les empreintes des données concordent avec le journal d'audit.",
        "en": "Identical: version {version} recommends “{decision}” again (probability {probability}); the input hashes match the audit trail.",
    },
    "lifecycle.differs": {
        "fr": "Différences constatées avec la version {version} :",
        "en": "Differences found with version {version}:",
    },
    "lifecycle.check": {"fr": "Contrôle", "en": "Check"},
    "lifecycle.recorded": {"fr": "Enregistré", "en": "Recorded"},
    "lifecycle.recomputed": {"fr": "Recalculé", "en": "Recomputed"},
    "nav.challenger": {"fr": "Modèle challenger", "en": "Challenger model"},
    "challenger.title": {"fr": "Versions du modèle et challenger", "en": "Model versions and challenger"},
    "challenger.intro": {
        "fr": "Le challenger note chaque dossier client ouvert par un conseiller en parallèle du modèle en production, sans jamais être montré aux conseillers ; chaque demandeur compte une fois par jour, les simulations ne sont pas notées, seuls des agrégats par jour sont conservés.",
        "en": "The challenger scores every client file an advisor opens beside the production model and is never shown to advisors; each applicant counts once a day, simulations are not scored, only daily aggregates are kept.",
    },
    "challenger.versions": {"fr": "Versions enregistrées", "en": "Registered versions"},
    "challenger.no_versions": {
        "fr": "Aucune version dans le registre ; le modèle servi est {serving}.",
        "en": "No version in the registry; the model served is {serving}.",
    },
    "challenger.version": {"fr": "Version", "en": "Version"},
    "challenger.status": {"fr": "Statut", "en": "Status"},
    "challenger.status_champion": {"fr": "en production", "en": "champion"},
    "challenger.status_challenger": {"fr": "challenger", "en": "challenger"},
    "challenger.status_retired": {"fr": "retiré", "en": "retired"},
    "challenger.status_registered": {"fr": "enregistré", "en": "registered"},
    "challenger.trained": {"fr": "Entraîné le", "en": "Trained"},
    "challenger.features": {"fr": "Variables", "en": "Features"},
    # The registry's figures come from each version's training (out-of-fold predictions), not
    # from the applicants' observed outcomes: a COMEX reader saw 0,772 here and 0,759 under
    # Backtesting with the same "AUC" above both.
    "challenger.auc": {"fr": "AUC (validation croisée)", "en": "AUC (cross-validation)"},
    "challenger.measured": {
        "fr": "AUC, seuil et coût : mesurés à l'entraînement de chaque version, en validation croisée (prédictions hors échantillon). "
        "L'AUC sur les défauts réellement constatés est sous Surveillance du modèle, onglet Backtesting.",
        "en": "AUC, threshold and cost: measured when each version was trained, by cross-validation (out-of-fold predictions). "
        "The AUC on the defaults actually observed is under Model monitoring, Backtesting tab.",
    },
    "challenger.days": {"fr": "Jours affichés", "en": "Days shown"},
    "challenger.champion": {"fr": "En production", "en": "Champion"},
    "challenger.challenger": {"fr": "Challenger", "en": "Challenger"},
    "challenger.model_dir": {"fr": "répertoire du modèle (aucune promotion)", "en": "model directory (nothing promoted)"},
    "challenger.none": {"fr": "aucun", "en": "none"},
    "challenger.empty": {"fr": "Aucun dossier noté par un challenger sur cette période.", "en": "No file scored by a challenger in this period."},
    "challenger.open": {"fr": "en cours", "en": "open"},
    "challenger.late": {"fr": "Après clôture", "en": "After closing"},
    "challenger.publication": {
        "fr": "Les résultats d'un jour (accord, bascules, écarts) sont publiés une fois la journée close (minuit à Paris, plus 10 minutes), puis ne changent plus, et à partir de 10 demandeurs : deux lectures d'un compteur en cours donneraient, par différence, le résultat d'un seul client. Avant, seul le nombre de demandeurs s'affiche.",
        "en": "A day's results (agreement, flips, shifts) are published once the day is closed (midnight in Paris, plus 10 minutes), never change after, and only from 10 applicants: two readings of a running counter would give one client's result by difference. Until then, only the number of applicants is shown.",
    },
    "challenger.day": {"fr": "Jour", "en": "Day"},
    "challenger.band": {"fr": "[{low} ; {high}[", "en": "[{low}, {high})"},
    "challenger.pair": {"fr": "Production / challenger", "en": "Champion / challenger"},
    "challenger.requests": {"fr": "Demandeurs", "en": "Applicants"},
    "challenger.agreement": {"fr": "Accord", "en": "Agreement"},
    "challenger.flips_to_refuse": {"fr": "Accord → refus", "en": "Approve → refuse"},
    "challenger.flips_to_approve": {"fr": "Refus → accord", "en": "Refuse → approve"},
    "challenger.mean_shift": {"fr": "Écart moyen", "en": "Mean shift"},
    "challenger.mean_abs_shift": {"fr": "Écart absolu moyen", "en": "Mean absolute shift"},
    "challenger.dropped": {"fr": "Non notées (file pleine)", "en": "Not scored (queue full)"},
    "challenger.errors": {"fr": "Erreurs du challenger", "en": "Challenger errors"},
    "challenger.threshold": {"fr": "Seuil de décision", "en": "Decision threshold"},
    "challenger.cost": {"fr": "Coût métier moyen par client (1 = un bon client refusé)",
                 "en": "Mean business cost per client (1 = one good client refused)"},
    "challenger.shift_title": {"fr": "Écarts de probabilité le {day}", "en": "Probability shifts on {day}"},
    "challenger.shift_axis": {"fr": "Écart challenger − production (points)", "en": "Challenger − champion shift (points)"},
    "challenger.shift_caption": {
        "fr": "Nombre de demandeurs par tranche d'écart de probabilité de défaut, en points (de 8 % à 9 % : +1 point) ; à gauche de 0, le challenger voit moins de risque que le modèle en production.",
        "en": "Applicants per band of probability-of-default shift, in points (from 8% to 9%: +1 point); left of 0, the challenger sees less risk than the production model.",
    },
    "challenger.too_few": {
        "fr": "La distribution des écarts s'affiche pour un jour clos d'au moins 10 demandeurs.",
        "en": "The shift distribution is shown for a closed day of 10 applicants or more.",
    },
    # A count of 1 to 9 people is withheld, and with it whatever the day's applicants minus the
    # counts shown would give it back by (GET /model/challenger serves them null): the cell may
    # hold more than 9 people (an agreement of 37 out of 40 beside 3 flips), so it says "not
    # published", the rule (< 10 pers.) is in the note below the table.
    "challenger.withheld": {"fr": "non publié", "en": "not published"},
    "challenger.withheld_note": {
        "fr": "« non publié » : un nombre de 1 à 9 personnes (<\u00a010\u00a0pers.) n'est pas publié, ni l'accord ou la bascule qui le redonnerait par différence avec le nombre de demandeurs : un jour de 40 demandeurs dont 3 bascules vers le refus ne publie ni ces bascules ni l'accord (40 − 3).",
        "en": "\"not published\": a count of 1 to 9 people (< 10) is not published, nor the agreement or flip count that would give it back by difference with the number of applicants: a day of 40 applicants with 3 flips to refuse publishes neither those flips nor the agreement (40 − 3).",
    },
    "challenger.bands_withheld": {
        "fr": "Tranches non publiées, sans barre (ce n'est pas 0) : {bands}. Chacune compte de 1 à 9 demandeurs (<\u00a010\u00a0pers.), ou redonnerait par différence avec le nombre de demandeurs une tranche qui en compte si peu.",
        "en": "Bands not published, drawn without a bar (this is not 0): {bands}. Each holds 1 to 9 applicants (< 10), or would give back by difference with the number of applicants a band holding so few.",
    },
    "challenger.band_sep": {"fr": ", ", "en": "; "},
    # -- monitoring (issue #16): drift and backtesting, COMEX and compliance ----------------
    "nav.monitoring": {"fr": "Surveillance du modèle", "en": "Model monitoring"},
    "monitoring.title": {"fr": "Surveillance du modèle", "en": "Model monitoring"},
    "monitoring.drift": {"fr": "Dérive de la population", "en": "Population drift"},
    "monitoring.backtest": {"fr": "Backtesting", "en": "Backtesting"},
    "monitoring.drift_missing": {
        "fr": "La dérive n'a pas encore été calculée pour ce modèle. Elle l'est après chaque import ; "
        "l'équipe technique peut aussi lancer « octroi jobs run drift ».",
        "en": "Drift has not been computed for this model yet. It is after every import; "
        "the technical team can also run `octroi jobs run drift`.",
    },
    "monitoring.backtest_missing": {
        "fr": "Le backtesting n'a pas encore été calculé pour ce modèle : il faut importer des défauts "
        "constatés (« octroi outcomes import »).",
        "en": "Backtesting has not been computed for this model yet: realised outcomes must be imported "
        "(`octroi outcomes import`).",
    },
    "monitoring.fresh": {"fr": "Calculé le {when} (heure de Paris) sur la population actuelle.",
                         "en": "Computed on {when} (Paris time) on the current population."},
    "monitoring.held": {
        "fr": "Calculé le {when} (heure de Paris). Un calcul plus récent n'est pas publié : sa population diffère "
        "de moins de 10 personnes ({count}) d'un calcul publié, et comparer les deux isolerait leurs chiffres. "
        "Il le sera dès que 10 personnes auront changé.",
        "en": "Computed on {when} (Paris time). A newer computation is not published: its population differs from "
        "a published one by fewer than 10 people ({count}), and comparing the two would single their figures out. "
        "It will be once 10 people have changed.",
    },
    "aggregates.held": {
        "fr": "Ces chiffres ne sont pas encore publiés : leur population diffère de moins de 10 personnes d'un "
        "calcul publié (ou d'une population vide), et comparer les deux isolerait leurs chiffres. Ils le seront "
        "dès que 10 personnes auront changé.",
        "en": "These figures are not published yet: their population differs from a published computation (or "
        "from an empty population) by fewer than 10 people, and comparing the two would single their figures "
        "out. They will be once 10 people have changed.",
    },
    "monitoring.stale": {
        "fr": "Calculé le {when} (heure de Paris) : la population a changé depuis, un nouveau calcul est en attente.",
        "en": "Computed on {when} (Paris time): the population has changed since, a new computation is due.",
    },
    "monitoring.status": {"fr": "État", "en": "Status"},
    "monitoring.level.ok": {"fr": "Stable", "en": "Stable"},
    "monitoring.level.watch": {"fr": "À surveiller", "en": "Watch"},
    "monitoring.level.act": {"fr": "Action requise", "en": "Action required"},
    "monitoring.level.unknown": {"fr": "Inconnu", "en": "Unknown"},
    "monitoring.score_psi": {"fr": "Stabilité du score (PSI)", "en": "Score stability (PSI)"},
    "monitoring.score_psi_previous": {"fr": "PSI vs population précédente", "en": "PSI vs previous population"},
    "monitoring.clients": {"fr": "Clients analysés", "en": "Clients analysed"},
    "monitoring.thresholds_explained": {
        "fr": "Indice de stabilité : sous 0,10 la population ressemble à celle de l'apprentissage ; de 0,10 à 0,25 "
        "elle a bougé (à surveiller) ; à partir de 0,25 elle a nettement changé et le modèle doit être ré-examiné.",
        "en": "Stability index: below 0.10 the population looks like the training one; from 0.10 to 0.25 it has "
        "moved (watch); from 0.25 it has clearly changed and the model must be reviewed.",
    },
    "monitoring.alerts": {"fr": "Alertes", "en": "Alerts"},
    "monitoring.psi_range.ok": {"fr": "moins de 0,10 (valeur exacte non publiée)",
                                "en": "under 0.10 (exact value not published)"},
    "monitoring.psi_range.watch": {"fr": "entre 0,10 et 0,25 (valeur exacte non publiée)",
                                   "en": "between 0.10 and 0.25 (exact value not published)"},
    "monitoring.psi_range.act": {"fr": "au moins 0,25 (valeur exacte non publiée)",
                                 "en": "at least 0.25 (exact value not published)"},
    "monitoring.psi_card.ok": {"fr": "< 0,10", "en": "< 0.10"},
    "monitoring.psi_card.watch": {"fr": "0,10–0,25", "en": "0.10–0.25"},
    "monitoring.psi_card.act": {"fr": "≥ 0,25", "en": "≥ 0.25"},
    "monitoring.psi_withheld": {
        "fr": "Indice de stabilité donné par sa plage : des tranches de score ne sont pas publiées (ci-dessous), "
        "et la valeur exacte, avec les parts publiées, permettrait de les retrouver.",
        "en": "Stability index given by its range: some score deciles are withheld (below), and the exact value, "
        "with the shares published, would give them back.",
    },
    "monitoring.psi_range_only": {"fr": "plage seule (valeur non publiée)", "en": "range only (value not published)"},
    "monitoring.psi_history_withheld": {
        "fr": "Une barre grise donne la plage de l'indice d'une exécution dont la valeur exacte n'est pas publiée : "
        "avec les parts publiées, elle permettrait de retrouver des tranches de score retenues.",
        "en": "A grey bar gives the range of a run's index whose exact value is not published: with the shares "
        "published, it would give back withheld score deciles.",
    },
    "monitoring.more_alerts": {"fr": "… et {count} autres alertes.", "en": "… and {count} more alerts."},
    "monitoring.no_alert": {"fr": "Aucune alerte : la population est stable.", "en": "No alert: the population is stable."},
    "monitoring.alert.watch": {
        "fr": "À surveiller : l'indice de stabilité de {subject} vaut {value} par rapport à {against} "
        "(seuil 0,10). La population a bougé ; vérifier que les décisions restent cohérentes.",
        "en": "Watch: the stability index of {subject} is {value} against {against} (threshold 0.10). "
        "The population has moved; check that decisions remain consistent.",
    },
    "monitoring.alert.act": {
        "fr": "Action requise : l'indice de stabilité de {subject} vaut {value} par rapport à {against} "
        "(seuil 0,25). La population a nettement changé : faire ré-examiner ou ré-entraîner le modèle.",
        "en": "Action required: the stability index of {subject} is {value} against {against} (threshold 0.25). "
        "The population has clearly changed: have the model reviewed or retrained.",
    },
    "monitoring.against.training": {"fr": "la population d'apprentissage", "en": "the training population"},
    "monitoring.against.previous_period": {"fr": "la population précédente", "en": "the previous population"},
    "monitoring.the_score": {"fr": "la probabilité de défaut", "en": "the probability of default"},
    "monitoring.psi_over_time": {"fr": "Stabilité du score dans le temps", "en": "Score stability over time"},
    "monitoring.watch_line": {"fr": "à surveiller", "en": "watch"},
    "monitoring.act_line": {"fr": "action", "en": "act"},
    "monitoring.score_distribution": {"fr": "Répartition des probabilités", "en": "Distribution of probabilities"},
    "monitoring.score_bins": {"fr": "Déciles de l'apprentissage", "en": "Training deciles"},
    "monitoring.decile": {"fr": "D{n}", "en": "D{n}"},
    "monitoring.decile_withheld": {"fr": "non publié", "en": "not published"},
    "monitoring.decile_moved": {"fr": "a changé", "en": "changed"},
    "monitoring.share_moved": {"fr": "a changé de <\u00a0{minimum}\u00a0pers.", "en": "changed by fewer than {minimum}"},
    "monitoring.moved_deciles": {
        "fr": "Un décile dont les dossiers ont changé de 1 à {most} personnes depuis un rapport publié n'est pas "
        "publié non plus (« a changé »), ni au besoin les plus petits autres déciles avec lui (« non publié ») : les "
        "deux rapports diraient combien des nouveaux dossiers y tombent. Il le sera dès que {minimum} personnes au "
        "moins y auront changé.",
        "en": "A decile whose applicants changed by 1 to {most} people since a published report is not published "
        "either (\"changed\"), nor where needed the smallest other deciles with it (\"not published\"): the two "
        "reports would say how many of the new applicants fall in it. It will be once at least {minimum} people have "
        "changed in it.",
    },
    "monitoring.small_deciles": {
        "fr": "Aujourd'hui, un décile de 1 à {most} personnes n'est pas publié (« <\u00a0{minimum}\u00a0pers. »), ni "
        "les plus petits autres déciles qu'il faut taire avec lui (« non publié ») : les parts font 100\u00a0% et "
        "le reste donnerait sinon le nombre exact. Deux déciles voisins sont aussi tus (« non publié ») quand leur "
        "limite commune tombe à moins de {minimum} personnes d'une limite du portefeuille (barre, classe ou seuil) : "
        "la différence désignerait ces personnes.",
        "en": "Today, a decile of 1 to {most} people is not published (\"fewer than {minimum}\"), nor the smallest "
        "other deciles withheld with it (\"not published\"): the shares add up to 100% and the rest would "
        "otherwise give the exact number. Two neighbouring deciles are also withheld (\"not published\") when "
        "their shared edge lies fewer than {minimum} people from an edge of the portfolio (a bar, a grade or the "
        "threshold): the difference would single those people out.",
    },
    "monitoring.moved_shares": {
        "fr": "« a changé de <\u00a0{minimum}\u00a0pers. » : cette part a changé de 1 à {most} personnes depuis un "
        "rapport publié (ou le reste des dossiers à côté d'elle) ; les deux rapports diraient combien des dossiers "
        "nouveaux ou partis la portent. Elle sera publiée dès que l'écart atteindra {minimum} personnes au moins.",
        "en": "\"changed by fewer than {minimum}\": this share changed by 1 to {most} people since a published "
        "report (or the rest of the applicants beside it did); the two reports would say how many of the new or gone "
        "applicants hold it. It will be published once the change reaches at least {minimum} people.",
    },
    "monitoring.training": {"fr": "Apprentissage", "en": "Training"},
    "monitoring.current": {"fr": "Aujourd'hui", "en": "Today"},
    "monitoring.inputs": {"fr": "Variables les plus instables", "en": "Least stable inputs"},
    "monitoring.input": {"fr": "Variable", "en": "Input"},
    "monitoring.csi": {"fr": "Stabilité (CSI)", "en": "Stability (CSI)"},
    "monitoring.csi_previous": {"fr": "CSI vs population précédente", "en": "CSI vs previous population"},
    "monitoring.missing": {"fr": "Valeurs manquantes : aujourd'hui (apprentissage)",
                           "en": "Missing values: today (training)"},
    "monitoring.out_of_range": {"fr": "Hors plage d'apprentissage", "en": "Outside the training range"},
    "monitoring.unseen": {"fr": "Catégories inconnues", "en": "Unseen categories"},
    "monitoring.fewer_than": {"fr": "<\u00a0{minimum}\u00a0pers.", "en": "fewer than {minimum}"},
    "monitoring.unseen_hidden": {"fr": "{count} de moins de {minimum} pers. chacune, non nommée(s)",
                                 "en": "{count} held by fewer than {minimum} people each, not named"},
    "monitoring.small_shares": {
        "fr": "«\u00a0<\u00a0{minimum}\u00a0pers.\u00a0» : de 1 à {most} personnes ; la part exacte n'est pas affichée, pour ne désigner personne.",
        "en": "“fewer than {minimum}”: 1 to {most} people; the exact share is not shown so that no one can be singled out.",
    },
    "monitoring.too_few": {
        "fr": "Moins de {minimum} défauts ou remboursements constatés : rien n'est affiché pour ne désigner personne.",
        "en": "Fewer than {minimum} realised outcomes: nothing is shown so that no one can be singled out.",
    },
    "monitoring.outcomes": {"fr": "Dossiers avec issue connue", "en": "Files with a known outcome"},
    "monitoring.interval": {"fr": "Intervalle de confiance à 95 % : {low} à {high}",
                            "en": "95% confidence interval: {low} to {high}"},
    "monitoring.calibration_ok": {
        "fr": "Le taux de défaut constaté est compatible avec celui que le modèle prévoyait.",
        "en": "The observed default rate is consistent with what the model predicted.",
    },
    "monitoring.calibration_off": {
        "fr": "Écart significatif : {observed} de défauts constatés pour {predicted} prévus. Le modèle doit être recalibré.",
        "en": "Significant gap: {observed} observed defaults against {predicted} predicted. The model must be recalibrated.",
    },
    "monitoring.grade_underestimated": {
        "fr": "Classe {grade} : {observed} de défauts constatés pour {predicted} prévus ; le risque de cette classe "
        "est sous-estimé (le taux prévu est sous l'intervalle de Jeffreys à 95 %).",
        "en": "Grade {grade}: {observed} observed defaults against {predicted} predicted; the risk of this grade "
        "is underestimated (the predicted rate lies below the 95% Jeffreys interval).",
    },
    "monitoring.by_grade": {"fr": "Défaut prévu et constaté par classe", "en": "Predicted and observed default by grade"},
    "monitoring.grades_explained": {
        "fr": "Les traits donnent l'intervalle de Jeffreys à 95 % du taux constaté ; les classes de moins de 10 personnes, "
        "ou dont la population a changé de 1 à 9 personnes depuis un calcul publié, ne sont pas affichées.",
        "en": "Whiskers give the 95% Jeffreys interval of the observed rate; grades with fewer than 10 people, or whose "
        "population changed by 1 to 9 people since a published computation, are not shown.",
    },
    "monitoring.outcomes_withheld": {
        "fr": "Moins de 10 défauts (ou de remboursements) constatés au total : le taux constaté, l'AUC et la "
        "calibration ne sont pas publiés, pour ne désigner personne.",
        "en": "Fewer than 10 defaults (or repayments) observed in all: the observed rate, the AUC and the "
        "calibration are withheld so that no one can be singled out.",
    },
    "monitoring.grades_withheld": {
        "fr": "Défaut constaté non publié (classes {grades}) : moins de 10 défauts ou moins de 10 remboursements, "
        "directement ou par différence avec le total, ou 1 à 9 de plus ou de moins depuis un calcul publié ; seuls "
        "l'effectif et le taux prévu sont montrés.",
        "en": "Observed default withheld (grades {grades}): fewer than 10 defaults or fewer than 10 repayments, "
        "directly or by difference with the total, or 1 to 9 more or fewer since a published computation; only the "
        "size and the predicted rate are shown.",
    },
    "monitoring.grade": {"fr": "Classe de risque", "en": "Risk grade"},
    "monitoring.predicted": {"fr": "Prévu", "en": "Predicted"},
    "monitoring.observed": {"fr": "Constaté", "en": "Observed"},
    "monitoring.auc_over_time": {"fr": "Pouvoir discriminant (AUC) dans le temps", "en": "Discrimination (AUC) over time"},
    "monitoring.cohorts": {"fr": "Par mois d'import", "en": "By month of import"},
    "monitoring.cohort": {"fr": "Mois", "en": "Month"},
    "monitoring.suppression": {
        "fr": "Toute case de moins de 10 personnes est masquée, comme toute classe, cohorte ou tout segment dont la "
        "population a changé de 1 à 9 personnes depuis un calcul publié (la différence entre les deux donnerait leurs "
        "chiffres). "
        "Le défaut constaté d'une case qui compte 1 à 9 défauts ou remboursements, ou dont les défauts ou les "
        "remboursements ont changé de 1 à 9 depuis un calcul publié, n'est pas publié non plus (son effectif l'est).",
        "en": "Every cell of fewer than 10 people is hidden, as is every grade, cohort or segment whose population "
        "changed by 1 to 9 people since a published computation (the difference between the two would give their "
        "figures). "
        "Nor is the observed default of a cell with 1 to 9 defaults or repayments, or whose defaults or repayments "
        "changed by 1 to 9 since a published computation, published (its size is).",
    },
    "monitoring.expected_auc": {
        "fr": "AUC attendue sur la population actuelle, avant tout défaut constaté (le modèle étant calibré) : {auc}.",
        "en": "AUC expected on the current population, before any realised outcome (the model being calibrated): {auc}.",
    },
    "monitoring.expected_vs_realised": {
        "fr": "AUC attendue d'après les probabilités : {expected} ; constatée : {realised}. Un écart net signifie que "
        "le lien entre les données et le défaut a changé.",
        "en": "AUC expected from the probabilities: {expected}; realised: {realised}. A clear gap means the link "
        "between the data and default has changed.",
    },
    "monitoring.status_line": {"fr": "État : {level}", "en": "Status: {level}"},
    "monitoring.column": {"fr": "Colonne source", "en": "Source column"},
    "monitoring.observed_rate": {"fr": "Défaut constaté", "en": "Observed default"},
    "monitoring.outcomes_short": {"fr": "Issues connues", "en": "Known outcomes"},
    "monitoring.predicted_rate": {"fr": "Défaut prévu", "en": "Predicted default"},
    "monitoring.interval_named": {"fr": "{name} : intervalle de confiance à 95 % de {low} à {high}",
                                  "en": "{name}: 95% confidence interval {low} to {high}"},
    # -- end of monitoring (issue #16) --------------------------------------------------------
    # -- Streamlit's own accessible names (aria-label, title), English in every language: the
    # page relabels them from these entries (frontend/app.py); "en" is Streamlit's exact text.
    "a11y.help": {"fr": "Aide", "en": "Help"},
    "a11y.help_for": {"fr": "Aide : ", "en": "Help for "},  # a prefix, the widget's label follows
    # A date field's segments: "day, Du" (prefixes, the field's label follows).
    "a11y.prefix_day": {"fr": "jour, ", "en": "day, "},
    "a11y.prefix_month": {"fr": "mois, ", "en": "month, "},
    "a11y.prefix_year": {"fr": "année, ", "en": "year, "},
    "a11y.empty": {"fr": "Vide", "en": "Empty"},  # an empty date segment's value
    "a11y.collapse_sidebar": {"fr": "Replier le menu latéral", "en": "Collapse sidebar"},
    "a11y.expand_sidebar": {"fr": "Déplier le menu latéral", "en": "Expand sidebar"},
    "a11y.sidebar": {"fr": "Menu latéral", "en": "Sidebar"},
    "a11y.app_pages": {"fr": "Pages de l'application", "en": "App pages"},
    "a11y.main_menu": {"fr": "Menu principal", "en": "Main menu"},
    "a11y.link_to_heading": {"fr": "Lien vers ce titre", "en": "Link to heading"},
    "a11y.open": {"fr": "Ouvrir", "en": "Open"},
    "a11y.close": {"fr": "Fermer", "en": "Close"},
    "a11y.clear_value": {"fr": "Effacer la valeur", "en": "Clear value"},
    "a11y.clear_all": {"fr": "Tout effacer", "en": "Clear all"},
    "a11y.selected_values": {"fr": "Valeurs choisies", "en": "Selected values"},
    "a11y.increment": {"fr": "Augmenter", "en": "Increment"},
    "a11y.decrement": {"fr": "Diminuer", "en": "Decrement"},
    "a11y.download_csv": {"fr": "Télécharger en CSV", "en": "Download as CSV"},
    "a11y.fullscreen": {"fr": "Plein écran", "en": "Fullscreen"},
    "a11y.close_fullscreen": {"fr": "Quitter le plein écran", "en": "Close fullscreen"},
    "a11y.search": {"fr": "Rechercher dans le tableau", "en": "Search"},
    "a11y.close_search": {"fr": "Fermer la recherche", "en": "Close Search"},
    "a11y.show_hide_columns": {"fr": "Afficher ou masquer des colonnes", "en": "Show/hide columns"},
    "a11y.column_menu": {"fr": "Menu de la colonne", "en": "Dataframe column menu"},
    "a11y.choose_date": {"fr": "Choisir une date", "en": "Choose date"},
    # The calendar's grid: "Choose date, décembre 2026" (a prefix, the month follows).
    "a11y.prefix_choose_date": {"fr": "Choisir une date, ", "en": "Choose date, "},
    "a11y.prefix_choose_date_range": {"fr": "Choisir une période, ", "en": "Choose date range, "},
    "a11y.choose_date_range": {"fr": "Choisir une période", "en": "Choose date range"},
    "a11y.quick_select_range": {"fr": "Choisir une période prédéfinie", "en": "Quick select a date range"},
    # A range's two fields: "Période start date" (suffixes, the field's label before them).
    "a11y.suffix_start_date": {"fr": " (début)", "en": " start date"},
    "a11y.suffix_end_date": {"fr": " (fin)", "en": " end date"},
    "a11y.choose_option": {"fr": "Choisir une option", "en": "Choose an option"},
    "a11y.previous_month": {"fr": "Mois précédent", "en": "Previous month"},
    "a11y.next_month": {"fr": "Mois suivant", "en": "Next month"},
    "a11y.scroll_tabs_left": {"fr": "Onglets précédents", "en": "Scroll tabs left"},
    "a11y.scroll_tabs_right": {"fr": "Onglets suivants", "en": "Scroll tabs right"},
    "a11y.running": {"fr": "Calcul en cours…", "en": "Running..."},
    "a11y.stop_script": {"fr": "Arrêter", "en": "Stop script"},
}


def accessible_names() -> dict[str, str]:
    """Streamlit's English accessible names -> French (the ``a11y.*`` entries, prefixes aside)."""
    return {entry["en"]: entry["fr"] for key, entry in CATALOG.items()
            if key.startswith("a11y.") and key not in _A11Y_PREFIXES + _A11Y_SUFFIXES}


_A11Y_PREFIXES = ("a11y.help_for", "a11y.prefix_day", "a11y.prefix_month", "a11y.prefix_year",
                  "a11y.prefix_choose_date", "a11y.prefix_choose_date_range")
_A11Y_SUFFIXES = ("a11y.suffix_start_date", "a11y.suffix_end_date")


def accessible_prefixes() -> list[tuple[str, str]]:
    """Streamlit's English prefixes of accessible names (the widget's label follows) and French."""
    return [(CATALOG[key]["en"], CATALOG[key]["fr"]) for key in _A11Y_PREFIXES]


def accessible_suffixes() -> list[tuple[str, str]]:
    """Streamlit's English suffixes of accessible names (the widget's label before them) and French."""
    return [(CATALOG[key]["en"], CATALOG[key]["fr"]) for key in _A11Y_SUFFIXES]


def translate(lang: str, key: str, **values: object) -> str:
    """The sentence ``key`` in ``lang`` (French when unknown), placeholders filled."""
    entry = CATALOG.get(key)
    if entry is None:
        # A missing key is a bug, but showing the key beats crashing a page in a meeting.
        return key
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


# -- issue 13: numbers, amounts and dates through Babel (CLDR), times in Europe/Paris ---------
LOCALES: Final = {"fr": "fr_FR", "en": "en_GB"}
TIMEZONE: Final = ZoneInfo("Europe/Paris")


def _locale(lang: str) -> Locale:
    return Locale.parse(LOCALES.get(lang, LOCALES[DEFAULT_LANGUAGE]))


def _with_digits(pattern: str, digits: int) -> str:
    return pattern.replace("0", "0." + "0" * digits, 1) if digits > 0 else pattern


def percent(value: float | None, lang: str, digits: int = 1) -> str:
    """``0.1234`` -> ``12,3 %`` (fr, no-break space) or ``12.3%`` (en)."""
    if value is None:
        return "—"
    locale = _locale(lang)
    pattern = _with_digits(locale.percent_formats[None].pattern, digits)
    return format_percent(value, pattern, locale=locale, decimal_quantization=True)


def distinct_digits(a: float, b: float, digits: int = 1, most: int = 4) -> int:
    """The fewest decimals from ``digits`` (up to ``most``) at which two probabilities shown as
    percentages read differently: 8,33 % against a threshold of 8,33 %, not 8,3 % against 8,3 %
    (one refused, the other approved, at the same figure)."""
    while digits < most and round(100 * a, digits) == round(100 * b, digits) and a != b:
        digits += 1
    return digits


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """Grouped and rounded the local way: ``1 234 567,8`` (fr), ``1,234,567.8`` (en)."""
    if value is None:
        return "—"
    return format_decimal(value, _with_digits("#,##0", digits), locale=_locale(lang))


def ordinal(rank: int, lang: str) -> str:
    """A whole rank as an ordinal: ``1er``, ``2e`` (fr); ``1st``, ``22nd``, ``13th`` (en)."""
    if lang == "fr":
        return f"{rank}{'er' if rank == 1 else 'e'}"
    suffix = "th" if rank % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"


def significant(value: float | int | None, lang: str) -> str:
    """Three significant digits, no trailing zero (``0,0937``, ``1,34``, ``0,3``; ``17,1`` and
    ``1 234`` from ten and a thousand up), as the model's plain-language text writes a value."""
    if value is None:
        return "—"
    return entry_text(value, lang, significant_decimals(value))


def significant_decimals(value: float | int) -> int:
    """The decimals :func:`significant` writes ``value`` with (before dropping trailing zeros)."""
    size = abs(value)
    if size >= 1000 or size == 0:
        return 0
    if size >= 10:
        return 1
    return 2 - math.floor(math.log10(size))


class EntryError(ValueError):
    """A typed number that cannot be read without guessing; ``key`` is the catalog's sentence
    saying why (``entry.*``)."""

    def __init__(self, key: str, text: str) -> None:
        super().__init__(f"{key}: {text!r}")
        self.key, self.text = key, text


_BLANKS: Final = re.compile(r"[\s\u00a0\u202f\u2009\u2007]+")
# "42.000", "1,250": thousands, or decimals? (a comma groups thousands in English only)
_THREE_DECIMALS: Final = re.compile(r"-?[1-9]\d{0,2}([.,])\d{3}(\1\d{3})*")


def entry_text(value: float | int | None, lang: str, digits: int) -> str:
    """``value`` as a form field shows it for typing: grouped the local way, at most ``digits``
    decimals and no trailing zero (``42 000``, ``0,62``; ``42,000``, ``0.62``)."""
    if value is None:
        return ""
    return format_decimal(value, "#,##0" + ("." + "#" * digits if digits else ""), locale=_locale(lang))


def parse_entry(text: str, lang: str) -> float | None:
    """A number typed the local way, or None for a blank: in French ``42 000,5`` (any kind of
    space between thousands, a comma before the decimals; a point is read as the decimal mark
    too, ``0.62``), in English ``42,000.5``. Raises :class:`EntryError` rather than guess:
    ``42.000`` or ``42,000`` in French and ``42.000`` in English (42 or 42 thousand?), ``0,62``
    in English (Babel's strict reading refuses a misplaced grouping comma), a letter or an
    exponent.

    Streamlit's number input reads none of this: in a French browser it dropped the comma of
    ``42000,5`` and kept 420005 (streamlit#5686; decision 0033)."""
    raw = text.strip().removesuffix("€").strip()
    if not raw:
        return None
    if any(c.isalpha() for c in raw):
        raise EntryError("entry.not_a_number", text.strip())
    compact = _BLANKS.sub("", raw)
    three = _THREE_DECIMALS.fullmatch(compact)
    if three and (lang == "fr" or three.group(1) == "."):
        raise EntryError("entry.ambiguous", text.strip())
    candidate = compact
    if lang == "fr":
        if "," in compact and "." in compact:
            raise EntryError("entry.not_a_number", text.strip())
        candidate = compact.replace(".", ",")
    locale = _locale(lang)
    try:
        parsed = parse_decimal(candidate, locale=locale, strict=True)
    except NumberFormatError:
        raise EntryError("entry.not_a_number", text.strip()) from None
    if not parsed.is_finite():
        raise EntryError("entry.not_a_number", text.strip())
    return float(parsed)


def money(value: float | int | None, lang: str, digits: int = 0) -> str:
    """An amount in euros: ``15 569 687 €`` (fr), ``€15,569,687`` (en)."""
    if value is None:
        return "—"
    locale = _locale(lang)
    pattern = locale.currency_formats["standard"].pattern
    pattern = pattern.replace("#,##0.00", _with_digits("#,##0", digits))
    return format_currency(value, "EUR", pattern, locale=locale, currency_digits=False)


def money_compact(value: float | int | None, lang: str) -> str:
    """A large amount in euros that fits a tile: ``134,9 M €`` (fr), ``€134.9M`` (en)."""
    if value is None:
        return "—"
    return format_compact_currency(value, "EUR", locale=_locale(lang), fraction_digits=1)


def when(value: datetime | str | None, lang: str, *, seconds: bool = False) -> str:
    """A timestamp (aware, or ISO text from the API) as local Paris time in words:
    ``1 déc. 2026, 11:53`` (fr), ``1 Dec 2026, 11:53`` (en)."""
    if value is None or value == "":
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    pattern = _locale(lang).datetime_formats["medium"]
    date_part = format_date(moment.astimezone(TIMEZONE), "medium", locale=_locale(lang))
    time_part = format_time(moment.astimezone(TIMEZONE), "HH:mm:ss" if seconds else "HH:mm", locale=_locale(lang))
    return str(pattern).replace("{1}", date_part).replace("{0}", time_part)


def day(value: date | None, lang: str) -> str:
    return "—" if value is None else format_date(value, "long", locale=_locale(lang))


def month(value: str | None, lang: str) -> str:
    """A calendar month given as ``YYYY-MM`` the page's way: ``décembre 2026``, ``December 2026``
    (anything else is shown as it came)."""
    if not value:
        return "—"
    try:
        first = date.fromisoformat(f"{value}-01")
    except ValueError:
        return value
    return format_skeleton("yMMMM", first, locale=_locale(lang))


def short_day(value: datetime | str | None, lang: str) -> str:
    """The Paris day of a timestamp, short enough for a tile: ``12 nov.`` (fr), ``12 Nov`` (en)."""
    if value is None or value == "":
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_date(moment.astimezone(TIMEZONE), "d MMM", locale=_locale(lang))


# -- issue 13: category levels as the bank's data spells them -> words in each language ------
# The API sends the raw levels (they are the model's inputs and must be sent back verbatim);
# the dashboard shows them through this table and falls back to the raw value.
LEVELS: Final[dict[str, tuple[str, str]]] = {
    "Cash loans": ("Prêt personnel", "Cash loan"),
    "Revolving loans": ("Crédit renouvelable", "Revolving credit"),
    "F": ("Femme", "Female"),
    "M": ("Homme", "Male"),
    "XNA": ("Non renseigné", "Not given"),
    "N": ("Non", "No"),
    "Y": ("Oui", "Yes"),
    "No": ("Non", "No"),
    "Yes": ("Oui", "Yes"),
    "Unaccompanied": ("Seul", "Alone"),
    "Family": ("Famille", "Family"),
    "Spouse, partner": ("Conjoint", "Spouse or partner"),
    "Children": ("Enfants", "Children"),
    "Other_A": ("Autre (A)", "Other (A)"),
    "Other_B": ("Autre (B)", "Other (B)"),
    "Group of people": ("Groupe de personnes", "Group of people"),
    "Working": ("Salarié", "Employed"),
    "Commercial associate": ("Associé commercial", "Commercial associate"),
    "Pensioner": ("Retraité", "Pensioner"),
    "State servant": ("Fonctionnaire", "Civil servant"),
    "Unemployed": ("Sans emploi", "Unemployed"),
    "Student": ("Étudiant", "Student"),
    "Businessman": ("Chef d'entreprise", "Business owner"),
    "Maternity leave": ("Congé maternité", "Maternity leave"),
    "Secondary / secondary special": ("Secondaire", "Secondary"),
    "Higher education": ("Supérieur", "Higher education"),
    "Incomplete higher": ("Supérieur inachevé", "Incomplete higher education"),
    "Lower secondary": ("Premier cycle du secondaire", "Lower secondary"),
    "Academic degree": ("Diplôme universitaire de recherche", "Academic degree"),
    "Married": ("Marié(e)", "Married"),
    "Single / not married": ("Célibataire", "Single"),
    "Civil marriage": ("Union civile", "Civil union"),
    "Separated": ("Séparé(e)", "Separated"),
    "Widow": ("Veuf ou veuve", "Widowed"),
    "Unknown": ("Inconnu", "Unknown"),
    "House / apartment": ("Maison ou appartement", "House or flat"),
    "With parents": ("Chez les parents", "With parents"),
    "Municipal apartment": ("Logement social", "Social housing"),
    "Rented apartment": ("Location", "Rented flat"),
    "Office apartment": ("Logement de fonction", "Company flat"),
    "Co-op apartment": ("Coopérative d'habitation", "Housing co-operative"),
    "Laborers": ("Ouvriers", "Labourers"),
    "Sales staff": ("Vente", "Sales staff"),
    "Core staff": ("Personnel administratif", "Core staff"),
    "Managers": ("Cadres", "Managers"),
    "Drivers": ("Chauffeurs", "Drivers"),
    "High skill tech staff": ("Techniciens qualifiés", "High-skill technical staff"),
    "Accountants": ("Comptables", "Accountants"),
    "Medicine staff": ("Personnel médical", "Medical staff"),
    "Security staff": ("Sécurité", "Security staff"),
    "Cooking staff": ("Cuisine", "Cooking staff"),
    "Cleaning staff": ("Nettoyage", "Cleaning staff"),
    "Private service staff": ("Services à la personne", "Private service staff"),
    "Low-skill Laborers": ("Ouvriers non qualifiés", "Low-skill labourers"),
    "Waiters/barmen staff": ("Serveurs et barmans", "Waiters and bar staff"),
    "Secretaries": ("Secrétariat", "Secretaries"),
    "Realty agents": ("Agents immobiliers", "Estate agents"),
    "HR staff": ("Ressources humaines", "HR staff"),
    "IT staff": ("Informatique", "IT staff"),
    "MONDAY": ("Lundi", "Monday"),
    "TUESDAY": ("Mardi", "Tuesday"),
    "WEDNESDAY": ("Mercredi", "Wednesday"),
    "THURSDAY": ("Jeudi", "Thursday"),
    "FRIDAY": ("Vendredi", "Friday"),
    "SATURDAY": ("Samedi", "Saturday"),
    "SUNDAY": ("Dimanche", "Sunday"),
    "Self-employed": ("Indépendant", "Self-employed"),
    "Other": ("Autre", "Other"),
    "Medicine": ("Santé", "Medicine"),
    "Government": ("Administration", "Government"),
    "School": ("École", "School"),
    "Kindergarten": ("Crèche", "Nursery"),
    "Construction": ("BTP", "Construction"),
    "Security": ("Sécurité", "Security"),
    "Housing": ("Logement", "Housing"),
    "Military": ("Armée", "Armed forces"),
    "Bank": ("Banque", "Bank"),
    "Agriculture": ("Agriculture", "Agriculture"),
    "Police": ("Police", "Police"),
    "Postal": ("Poste", "Postal services"),
    "Security Ministries": ("Ministères régaliens", "Security ministries"),
    "Restaurant": ("Restauration", "Restaurant"),
    "Services": ("Services", "Services"),
    "University": ("Université", "University"),
    "Hotel": ("Hôtellerie", "Hotel"),
    "Electricity": ("Énergie", "Electricity"),
    "Insurance": ("Assurance", "Insurance"),
    "Telecom": ("Télécommunications", "Telecoms"),
    "Emergency": ("Secours", "Emergency services"),
    "Advertising": ("Publicité", "Advertising"),
    "Realtor": ("Immobilier", "Real estate"),
    "Culture": ("Culture", "Culture"),
    "Mobile": ("Téléphonie mobile", "Mobile"),
    "Legal Services": ("Services juridiques", "Legal services"),
    "Cleaning": ("Nettoyage", "Cleaning"),
    "Religion": ("Culte", "Religion"),
    "reg oper account": ("Compte d'exploitation", "Operating account"),
    "reg oper spec account": ("Compte d'exploitation spécial", "Special operating account"),
    "not specified": ("Non précisé", "Not specified"),
    "org spec account": ("Compte spécial d'organisme", "Organisation's special account"),
    "block of flats": ("Immeuble", "Block of flats"),
    "specific housing": ("Logement spécifique", "Specific housing"),
    "terraced house": ("Maison mitoyenne", "Terraced house"),
    "Panel": ("Panneaux", "Panels"),
    "Stone, brick": ("Pierre, brique", "Stone or brick"),
    "Block": ("Parpaings", "Blocks"),
    "Wooden": ("Bois", "Wood"),
    "Mixed": ("Mixte", "Mixed"),
    "Monolithic": ("Béton monolithe", "Monolithic concrete"),
    "Others": ("Autres", "Others"),
}
# Numbered families ("Industry: type 9", "Business Entity Type 3"): the number is kept.
LEVEL_FAMILIES: Final[dict[str, tuple[str, str]]] = {
    "Industry: type ": ("Industrie (type {n})", "Industry (type {n})"),
    "Trade: type ": ("Commerce (type {n})", "Trade (type {n})"),
    "Transport: type ": ("Transport (type {n})", "Transport (type {n})"),
    "Business Entity Type ": ("Entreprise (type {n})", "Business (type {n})"),
}


def level(value: object, lang: str) -> str:
    """A category level in words in ``lang`` (the raw level when the table lacks it)."""
    if value is None:
        return "—"
    text = str(value)
    index = 0 if lang == "fr" else 1
    if text in LEVELS:
        return LEVELS[text][index]
    for prefix, words in LEVEL_FAMILIES.items():
        if text.startswith(prefix):
            return words[index].format(n=text.removeprefix(prefix))
    return text
