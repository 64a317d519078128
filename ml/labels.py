"""French and English labels for every raw column and every model feature."""

from __future__ import annotations

import math
from typing import Any

from ml.features import completed_years_of
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
    # Kaggle counts days before the application, as negative numbers: the label says so.
    "DAYS_REGISTRATION": ("Ancienneté de l'enregistrement (jours, négatif)", "Days since registration change (negative)"),
    "DAYS_ID_PUBLISH": ("Ancienneté de la pièce d'identité (jours, négatif)", "Days since ID document change (negative)"),
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
    "DAYS_LAST_PHONE_CHANGE": ("Jours depuis le changement de téléphone (négatif)", "Days since phone change (negative)"),
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


# The model features whose answers show the positive days since (``ml.features.DISPLAY_NEGATED``):
# their label as a feature, beside that positive value and its percentile. ``label`` keeps the
# raw column's label (an input typed as negative days says so).
FEATURE_LABELS: dict[str, tuple[str, str]] = {
    "DAYS_REGISTRATION": ("Ancienneté de l'enregistrement (jours)", "Days since registration change"),
    "DAYS_ID_PUBLISH": ("Ancienneté de la pièce d'identité (jours)", "Days since ID document change"),
    "DAYS_LAST_PHONE_CHANGE": ("Jours depuis le changement de téléphone", "Days since phone change"),
}


def label(name: str, lang: str = "fr") -> str:
    """A raw column's (or feature's) label, as the bank's file holds the value."""
    fr, en = LABELS.get(name, (name, name))
    return en if lang == "en" else fr


def feature_label(name: str, lang: str = "fr") -> str:
    """A model feature's label as the answers show its value (explanations, comparisons)."""
    fr, en = FEATURE_LABELS.get(name) or LABELS.get(name, (name, name))
    return en if lang == "en" else fr


def labels_for(names: list[str], lang: str = "fr") -> dict[str, str]:
    """Model features' labels (:func:`feature_label`) in ``lang``."""
    if lang not in ("fr", "en"):
        raise ValueError("lang must be 'fr' or 'en'")
    return {name: feature_label(name, lang) for name in names}


# Category levels as the bank's data spells them -> words in each language. The dashboard
# holds the same table (``frontend/i18n.py``: it may not import ``ml``); a test pins the two
# equal, so the client file on screen and the PDF report name a level the same way.
LEVELS: dict[str, tuple[str, str]] = {
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
LEVEL_FAMILIES: dict[str, tuple[str, str]] = {
    "Industry: type ": ("Industrie (type {n})", "Industry (type {n})"),
    "Trade: type ": ("Commerce (type {n})", "Trade (type {n})"),
    "Transport: type ": ("Transport (type {n})", "Transport (type {n})"),
    "Business Entity Type ": ("Entreprise (type {n})", "Business (type {n})"),
}


def level_label(value: object, lang: str = "fr") -> str:
    """A category level in words in ``lang`` (the raw level when the table lacks it)."""
    text = str(value)
    index = 1 if lang == "en" else 0
    if text in LEVELS:
        return LEVELS[text][index]
    for prefix, words in LEVEL_FAMILIES.items():
        if text.startswith(prefix):
            return words[index].format(n=text.removeprefix(prefix))
    return text


def format_value(value: Any, lang: str, unit: str = "number") -> str:
    """A feature's value in words, in its unit (``ml.features.VALUE_UNITS``), as the dashboard
    writes it: ``450 000 €`` (fr) / ``€450,000`` (en), cents when there are (``7 942,50 €``),
    ``oui``/``yes``, a whole count, completed
    years to one decimal (``ml.features.completed_years_of``: 48.9993 is 48,9), other numbers to
    three significant digits, written out (never ``6,67e-09``)."""
    fr = lang == "fr"
    if value is None:
        return "inconnu" if fr else "unknown"
    if isinstance(value, str):
        return level_label(value, lang)
    if unit == "flag":
        return ("oui" if value else "non") if fr else ("yes" if value else "no")
    if unit in ("money", "integer") or abs(value) >= 1000:
        # An amount with cents keeps them (an annuity of 7 942,50 € read 7 942 €, rounded to even).
        cents = unit == "money" and math.isfinite(value) and round(value, 2) != round(value)
        text = f"{value:,.2f}" if cents else f"{value:,.0f}"
        if fr:
            text = text.replace(",", "\u202f").replace(".", ",")
        if unit == "money":
            text = text + "\u00a0€" if fr else "€" + text
        return text
    if unit == "years":
        # Completed years, as the profile and the header ("48 ans") state an age: never 49,0.
        text = f"{completed_years_of(value):.1f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = _significant(value)
    return text.replace(".", ",") if fr else text


def _significant(value: float) -> str:
    """Three significant digits written out, without an exponent and without trailing zeros
    (``0.0937``, ``1.34``, ``0.3``, ``0.00000000667`` where ``.3g`` wrote ``6.67e-09``), as the
    dashboard's ``i18n.significant`` writes a value below ten."""
    if value == 0:
        return "0"
    decimals = max(0, 2 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
