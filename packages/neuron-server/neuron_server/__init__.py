"""The inference-fleet model server for AWS Inferentia2: the ONNX Runtime server's HTTP contract over
PyTorch, compiled with torch-neuronx when it is present and run with TorchScript on CPU when not."""

__version__ = "0.1.0"
