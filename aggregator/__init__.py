"""Edublog aggregator: education blogs by topic, not by popularity.

The pipeline, one module per stage (see :func:`aggregator.build.build_site`)::

    config.load_config | fetch.fetch_feeds | parse.parse_feed | store.Store
        | topics.find_topics | diamonds.pick_diamonds | render.render_site
"""

__version__ = "0.1.0"
