"""What several test modules share: plain helpers and fakes, never tests or fixtures.

Test modules import from here (never from one another, nor from a ``conftest``);
``tests/test_layers.py`` holds that rule.
"""
