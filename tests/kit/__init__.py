"""What several test modules share: free ports, freqtrade's API server in-process, users'
configs and strategies, fleets, clocks.

Test modules import from here (or from a folder's own stand-ins such as
``tests/run/fake_bot.py`` or ``tests/scenarios/follow/support.py``), never from another
``test_*`` module or a ``conftest.py``: fixtures stay in conftest files, functions here.
"""
