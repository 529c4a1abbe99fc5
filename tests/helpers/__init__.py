"""What several test modules share: plain functions, fakes and shared fixtures; never tests.

Test modules import from here (never from one another, nor from a ``conftest``);
``tests/test_layers.py`` holds that rule. A shared fixture is defined under a function
name of its own with the fixture's name given to ``pytest.fixture(name=...)``
(:mod:`tests.helpers.timetrust`, :mod:`tests.helpers.agronomy`), and a module that uses it
imports that function, so a test's argument of the fixture's name redefines no import.
"""
