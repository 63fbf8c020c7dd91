"""SageMaker endpoints and endpoint configs, laid out as moto lays out a service:
:mod:`.models` holds the data and its lifecycle (one :class:`~.models.EndpointStore` per
account and Region), :mod:`.responses` the response methods that serve the emulated
operations."""
