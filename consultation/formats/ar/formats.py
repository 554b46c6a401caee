"""Arabic date formats: day, month name, year and a 24-hour clock, as INTERPOL's Arabic texts write them.

Django's own Arabic formats have no DATETIME_FORMAT, so dates with a time fell back to the English order
("نوفمبر 27, 2026, 2:06 ص"); digits stay Western, as everywhere in the app (docs/GLOSSARY.md).
"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y، H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
