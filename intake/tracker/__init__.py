"""The city's status tracker: a private link to the pledge's state, timeline and open questions."""
