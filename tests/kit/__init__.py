"""What several test modules share: free ports, freqtrade's API server in-process, fleets.

Test modules import from here (or from a package's own stand-ins such as
``tests/run/fake_bot.py``), never from another ``test_*`` module.
"""
