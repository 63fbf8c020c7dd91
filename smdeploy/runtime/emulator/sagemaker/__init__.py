"""SageMaker endpoints, endpoint configs and inference components, laid out as moto lays out a
service: :mod:`.models` holds the endpoints' data and lifecycle (one
:class:`~.models.EndpointStore` per account and Region), :mod:`.responses` the response
methods that serve the emulated endpoint operations; :mod:`.components` (with
:mod:`.capacity`, :mod:`.component_rules`, :mod:`.component_operations`) the inference
components beside each endpoint store, which moto lacks, and :mod:`.component_responses`
their operations."""
