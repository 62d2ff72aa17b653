"""Training and evaluating a spec's network: data sources, checks, the loop, checkpoints.

``nnspec train`` and ``nnspec evaluate`` are thin commands over :func:`nnspec.train.loop.fit`
and :func:`nnspec.train.assess.assess`. Modules: ``config`` (settings), ``sources`` (data
sources), ``idx`` and ``text`` (file formats), ``data`` (checks and batches), ``loop``,
``checkpoint``, ``metrics``, ``progress``, ``distributed``.
"""
