"""The demo portal's plugin, ``satudata_demo``: the Kabupaten Sumedang sample data
(``data.py``, with its fixed password) and ``ckan satudata-demo load``. Only
demo.ini loads it; a production portal lists ``satudata`` alone and has neither."""
