"""Canopy cover of the zones from their field cameras (苗情监测).

Each zone with a ``[zones.camera]`` is photographed on its interval: the snapshot is fetched
over HTTP (:mod:`.camera`), decoded, its plant pixels counted by the canopy classifier
(:mod:`.classifier`, :mod:`models.learning.canopy`), and the cover kept with the photo under
``<data dir>/canopy/<zone>/`` (:mod:`.records`). :mod:`.watch` is the daemon's job; a camera
that fails gives the zone a named status, never an exception into the scheduler.
"""
