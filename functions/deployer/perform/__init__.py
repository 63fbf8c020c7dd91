"""The stages performed: each reads through the adapters of :mod:`deployer.aws`, asks a
decision of :mod:`deployer.decide`, and performs what it names (configure, deploy, the
guardrails around the update, retention's sweep, the outcome's notifications).
"""
