"""UI messages that reach ``gettext`` as variables, listed here so that extraction finds them.

Never imported: ``babel.cfg`` extracts this file like any other source file. Without it these
messages would exist only in the .po files, and ``pybabel update`` would mark them obsolete the
next time it runs (an obsolete entry is not compiled, so the form errors would fall back to
English).

Two kinds of messages pass through ``emc.web.forms.localise`` at run time:

* marshmallow's standard validation messages. Those with ``{placeholders}`` are formatted before
  they reach ``gettext``; ``emc.web.messages.say`` recognises the formatted Range, Length,
  OneOf … messages (``emc.messages.VALIDATION_PATTERNS``) and says them from the catalogue with
  their values as params, whatever the values. The formatted variants listed below predate it.
* field messages raised by the services (``Invalid(..., fields=...)``) of the domains whose views
  localise them, and by the schemas' own validators. Messages that embed a value (f-strings) cannot be
  translated this way and are left out, except where the value is a constant.

``tests/test_i18n.py`` checks that every message the form schemas and services can produce is
translated, so a new validator or service message fails there until it is added below.
"""


def N_(message: str) -> str:  # noqa: N802 — the gettext_noop name that extractors look for
    return message


MARSHMALLOW_MESSAGES = (
    # Schema
    N_("Invalid input type."),
    N_("Unknown field."),
    # Field
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid type."),
    # Field types
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid UUID."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid integer."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid naive datetime."),
    N_("Not a valid date."),
    N_("Not a valid time."),
    N_("Not a valid period of time."),
    N_("Not a valid mapping type."),
    N_("Not a valid URL."),
    N_("Not a valid email address."),
    N_("Not a valid IP address."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 interface."),
    # Validators
    N_("String does not match expected pattern."),
    N_("Invalid input."),
)

# Formatted variants produced by the validators of the form schemas (emc/auth/schemas.py; the
# payment-line actions of emc/contracts/schemas.py).
FORMATTED_MARSHMALLOW_MESSAGES = (
    N_("Length must be between 1 and 100."),
    N_("Length must be between 1 and 200."),
    N_("Length must be between 1 and 254."),
    N_("Length must be between 1 and 500."),
    N_("Must be greater than or equal to 1."),
    N_("Longer than maximum length 100."),
    N_("Longer than maximum length 200."),
    N_("Longer than maximum length 254."),
    N_("Must be one of: zh_CN, en."),
    N_("Must be one of: institution, esco, auditor, agency, platform."),
    N_("Must be one of: government, school, hospital, culture_sports, other."),
    N_(
        "Must be one of: admin, energy_manager, finance, viewer, engineer, auditor, "
        "programme_officer."
    ),
)

# Custom messages of the validators in emc/auth/schemas.py.
SCHEMA_MESSAGES = (
    N_("must be 6 digits"),
    N_("must be an 18-character unified social credit code"),
    N_("does not match the new password"),
)

# Field messages of emc/auth/service.py.
AUTH_SERVICE_MESSAGES = (
    N_("already exists"),
    N_("unknown organisation"),
    N_("cannot be changed"),
    N_("not for yourself"),
    N_("an institution needs a sector"),
    N_("only institutions have a sector"),
    N_("another organisation already uses this value"),
    N_("another user already has this e-mail address"),
    # emc.auth.passwords: the password rules (MIN_PASSWORD_LENGTH = 12)
    N_("must be at least 12 characters"),
    N_("must not be your e-mail address, your name or your organisation's name"),
    N_("is too common or too easy to guess: use a longer phrase of unrelated words"),
    N_("the public demo password cannot be used in production"),
    # emc.schemas: every number in a request is bounded to what the database holds
    N_("must be less than 1,000,000,000,000 in size"),
    N_("has too many decimal places"),
    N_("Must be greater than or equal to -2147483648 and less than or equal to 2147483647."),
    N_("is wrong"),
    N_("must differ from the current password"),
    N_("must be in the future"),
    N_("must be zh_CN or en"),
)

# Field messages of emc/contracts/service/.
CONTRACTS_SERVICE_MESSAGES = (
    N_("must be an active ESCO organisation"),
    N_("required when terminating"),
    N_("no contract"),
    N_("required when contracted"),
    N_("required for an amendment"),
    N_("missing"),
    N_("stale"),
)

# Field messages of emc/mv/service/verdicts.py (settle).
MV_VERDICT_MESSAGES = (
    N_(
        "insufficient data: upload the missing meter readings (and weather temperatures), then "
        "recompute the draft"
    ),
    N_("required: the baseline fails ASHRAE Guideline 14 or lacks data"),
)

# The facilities pages (emc/facilities/views/): form messages of their schemas, and the field
# messages of emc/facilities/service/.
FACILITIES_FORM_MESSAGES = (
    N_("Length must be between 1 and 20."),
    N_("Length must be between 1 and 64."),
    N_("Must be greater than 0."),
    N_("Must be greater than or equal to 0."),
    N_("Must be greater than or equal to 1 and less than or equal to 1440."),
    N_("Must be greater than or equal to 1800 and less than or equal to 2100."),
    N_(
        "Must be one of: electricity, natural_gas, district_heat, coal, diesel, gasoline, lpg,"
        " fuel_oil, water, pv_generation."
    ),
    N_("Must be one of: interval, billing, register."),
    N_(
        "Must be one of: office, school, university, hospital, culture, sports, research,"
        " dormitory, data_center, other."
    ),
    N_("Must be one of: severe_cold, cold, hot_summer_cold_winter, hot_summer_warm_winter, mild."),
)

FACILITIES_SERVICE_MESSAGES = (
    N_("the organisation already has a site with this name"),
    N_("the site already has a building with this name"),
    N_("the site already has a meter with this name"),
    N_("must be greater than 0 m²"),
    N_("cannot change once readings are stored"),
    N_("only interval meters have an interval"),
    N_("only register meters roll over"),
    N_("a meter cannot be its own (indirect) parent"),
    N_("sites belong to public institutions"),
    N_("not a weather station this site may use"),
    N_("already linked"),
    N_("the project belongs to another institution"),
    N_("the project does not cover this site"),
    N_("the M&V boundary holds meters of this site"),
    N_("say why the meter is retired"),
    N_("the meter is already retired"),
    N_("weather stations belong to public institutions"),
    N_("choose a CSV or XLSX file to upload"),
)
