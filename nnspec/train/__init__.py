"""Training and evaluating a spec's network: data sources, checks, the loop, checkpoints.

``nnspec train`` and ``nnspec evaluate`` are thin commands over :func:`nnspec.train.loop.train`
(handed a :class:`nnspec.train.config.TrainSettings`) and :func:`nnspec.train.assess.assess`.
Modules: ``config`` (settings), ``sources`` (data sources), ``idx`` and ``text`` (file
formats), ``data`` (checks and batches), ``loop``, ``schedules`` (learning rates),
``checkpoint``, ``metrics``, ``board`` (TensorBoard), ``progress``, ``distributed``,
``exporting`` (a checkpoint to ONNX, TorchScript, torch.export).
"""
