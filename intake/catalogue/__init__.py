"""Fixed lists, with no database and no request: the action areas and the objectives of the two
Global Compacts (compacts), the answers a question allows (vocabularies), countries and
currencies (countries) and the UN regions (regions)."""
