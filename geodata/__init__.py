"""Source formats -> validated canonical frames.

Pure I/O: readers never touch the database or Flask. Each reader raises
:class:`geodata.errors.InputError` listing every problem it found (file, row,
column, value, reason) and returns plain pandas/geopandas frames.
"""
