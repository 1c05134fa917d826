"""Importers: a geodata reader's frames -> rows of one import batch.

Each module exposes ``load(engine, path, **options) -> ImportOutcome`` built on
:func:`rollout.importing.run_import`.
"""
