"""smdeploy's Lambda code: the domain package and one handler module per stage."""
