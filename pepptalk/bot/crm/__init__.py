"""The CRMs Pepptalk reads, one module each, behind the `CrmSource` port of `core/crm.py`."""
