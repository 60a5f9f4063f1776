"""The shared contract: what every partner posts and what its parts mean.

signal          Signal v1: the pydantic models, field types, national numbers, rule messages
validate        bytes to a Signal, or every reason why not, each at its JSON pointer
codelists       the code lists of ``schemas/codelists/``
schema_export   ``schemas/signal-1.schema.json``, written from the models
json_pointer    RFC 6901 pointers: escape, join, get, set
partners        Partner, its country, languages and state, and whether it is admitted
"""
