"""UN M49 regions of the ISO 3166 countries (United Nations Statistics Division), for
filtering the coordinators' queue by region."""
from ..extensions import lazy_gettext as _l

REGIONS = {
    "Africa": _l("Africa"),
    "Americas": _l("Americas"),
    "Asia": _l("Asia"),
    "Europe": _l("Europe"),
    "Oceania": _l("Oceania"),
    "Antarctica": _l("Antarctica"),
}

REGION_OF_COUNTRY = {
    # Africa
    "AO": "Africa", "BF": "Africa", "BI": "Africa", "BJ": "Africa", "BW": "Africa", "CD": "Africa",
    "CF": "Africa", "CG": "Africa", "CI": "Africa", "CM": "Africa", "CV": "Africa", "DJ": "Africa",
    "DZ": "Africa", "EG": "Africa", "EH": "Africa", "ER": "Africa", "ET": "Africa", "GA": "Africa",
    "GH": "Africa", "GM": "Africa", "GN": "Africa", "GQ": "Africa", "GW": "Africa", "IO": "Africa",
    "KE": "Africa", "KM": "Africa", "LR": "Africa", "LS": "Africa", "LY": "Africa", "MA": "Africa",
    "MG": "Africa", "ML": "Africa", "MR": "Africa", "MU": "Africa", "MW": "Africa", "MZ": "Africa",
    "NA": "Africa", "NE": "Africa", "NG": "Africa", "RE": "Africa", "RW": "Africa", "SC": "Africa",
    "SD": "Africa", "SH": "Africa", "SL": "Africa", "SN": "Africa", "SO": "Africa", "SS": "Africa",
    "ST": "Africa", "SZ": "Africa", "TD": "Africa", "TF": "Africa", "TG": "Africa", "TN": "Africa",
    "TZ": "Africa", "UG": "Africa", "YT": "Africa", "ZA": "Africa", "ZM": "Africa", "ZW": "Africa",
    # Americas
    "AG": "Americas", "AI": "Americas", "AR": "Americas", "AW": "Americas", "BB": "Americas", "BL": "Americas",
    "BM": "Americas", "BO": "Americas", "BQ": "Americas", "BR": "Americas", "BS": "Americas", "BZ": "Americas",
    "CA": "Americas", "CL": "Americas", "CO": "Americas", "CR": "Americas", "CU": "Americas", "CW": "Americas",
    "DM": "Americas", "DO": "Americas", "EC": "Americas", "FK": "Americas", "GD": "Americas", "GF": "Americas",
    "GL": "Americas", "GP": "Americas", "GT": "Americas", "GY": "Americas", "HN": "Americas", "HT": "Americas",
    "JM": "Americas", "KN": "Americas", "KY": "Americas", "LC": "Americas", "MF": "Americas", "MQ": "Americas",
    "MS": "Americas", "MX": "Americas", "NI": "Americas", "PA": "Americas", "PE": "Americas", "PM": "Americas",
    "PR": "Americas", "PY": "Americas", "SR": "Americas", "SV": "Americas", "SX": "Americas", "TC": "Americas",
    "TT": "Americas", "US": "Americas", "UY": "Americas", "VC": "Americas", "VE": "Americas", "VG": "Americas",
    "VI": "Americas",
    # Antarctica
    "AQ": "Antarctica", "BV": "Antarctica", "GS": "Antarctica", "HM": "Antarctica",
    # Asia
    "AE": "Asia", "AF": "Asia", "AM": "Asia", "AZ": "Asia", "BD": "Asia", "BH": "Asia",
    "BN": "Asia", "BT": "Asia", "CC": "Asia", "CN": "Asia", "CX": "Asia", "CY": "Asia",
    "GE": "Asia", "HK": "Asia", "ID": "Asia", "IL": "Asia", "IN": "Asia", "IQ": "Asia",
    "IR": "Asia", "JO": "Asia", "JP": "Asia", "KG": "Asia", "KH": "Asia", "KP": "Asia",
    "KR": "Asia", "KW": "Asia", "KZ": "Asia", "LA": "Asia", "LB": "Asia", "LK": "Asia",
    "MM": "Asia", "MN": "Asia", "MO": "Asia", "MV": "Asia", "MY": "Asia", "NP": "Asia",
    "OM": "Asia", "PH": "Asia", "PK": "Asia", "PS": "Asia", "QA": "Asia", "SA": "Asia",
    "SG": "Asia", "SY": "Asia", "TH": "Asia", "TJ": "Asia", "TL": "Asia", "TM": "Asia",
    "TR": "Asia", "TW": "Asia", "UZ": "Asia", "VN": "Asia", "YE": "Asia",
    # Europe
    "AD": "Europe", "AL": "Europe", "AT": "Europe", "AX": "Europe", "BA": "Europe", "BE": "Europe",
    "BG": "Europe", "BY": "Europe", "CH": "Europe", "CZ": "Europe", "DE": "Europe", "DK": "Europe",
    "EE": "Europe", "ES": "Europe", "FI": "Europe", "FO": "Europe", "FR": "Europe", "GB": "Europe",
    "GG": "Europe", "GI": "Europe", "GR": "Europe", "HR": "Europe", "HU": "Europe", "IE": "Europe",
    "IM": "Europe", "IS": "Europe", "IT": "Europe", "JE": "Europe", "LI": "Europe", "LT": "Europe",
    "LU": "Europe", "LV": "Europe", "MC": "Europe", "MD": "Europe", "ME": "Europe", "MK": "Europe",
    "MT": "Europe", "NL": "Europe", "NO": "Europe", "PL": "Europe", "PT": "Europe", "RO": "Europe",
    "RS": "Europe", "RU": "Europe", "SE": "Europe", "SI": "Europe", "SJ": "Europe", "SK": "Europe",
    "SM": "Europe", "UA": "Europe", "VA": "Europe",
    # Oceania
    "AS": "Oceania", "AU": "Oceania", "CK": "Oceania", "FJ": "Oceania", "FM": "Oceania", "GU": "Oceania",
    "KI": "Oceania", "MH": "Oceania", "MP": "Oceania", "NC": "Oceania", "NF": "Oceania", "NR": "Oceania",
    "NU": "Oceania", "NZ": "Oceania", "PF": "Oceania", "PG": "Oceania", "PN": "Oceania", "PW": "Oceania",
    "SB": "Oceania", "TK": "Oceania", "TO": "Oceania", "TV": "Oceania", "UM": "Oceania", "VU": "Oceania",
    "WF": "Oceania", "WS": "Oceania",
}


def region_of(country_code):
    return REGION_OF_COUNTRY.get(country_code)


def region_label(key):
    return REGIONS.get(key, key or "")
