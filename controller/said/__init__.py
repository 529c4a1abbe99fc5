"""The box's stored English records said in another language, for the pages and the
notifications alike.

The records stay as written; :mod:`controller.said.records` reads one back into coded parts
(the templates of the runtime's and the planner's writers) and fills the words of
:mod:`controller.said.words` (``catalog/{en,zh_CN}.toml``) with the values read back. A part
no template knows is said as recorded.
"""
