"""One Lambda handler per stage. Handler strings: ``deployer.handlers.<stage>.handler``."""
