"""The data: models, one repository per aggregate, a unit of work, migrations beside the models."""
