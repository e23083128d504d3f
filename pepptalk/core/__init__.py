"""The vocabulary every layer shares: messages, ports, kinds, calendar and copy. Imports nothing of
Pepptalk's own outside this folder."""
