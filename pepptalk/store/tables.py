"""Every table Pepptalk keeps, on one metadata: what migrations and the tests compare against.

A new module of models is imported here, so its tables are never missed.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from pepptalk.store import crm_models, downloads, installation_models, models, web_session_models
from pepptalk.store.base import Base

MODULES = (models, installation_models, downloads, crm_models, web_session_models)
METADATA: MetaData = Base.metadata
