"""The meta_info PyTorch's writer records for a call's inputs: shared by the compile worker, which compares it with
the entries already there, and the recording shim, which records each miss and call with it."""
import json


def recorded_meta_info(torch, aoti_eager, device, args, kwargs):
    """The meta_info PyTorch's writer records for these inputs (the loop of aoti_compile_with_persistent_cache, with
    its own extract_* functions): what it compares with the entries already there before it appends."""
    items = []
    for idx, value in enumerate(list(args) + list(kwargs.values())):
        if isinstance(value, torch.Tensor):
            meta = aoti_eager.extract_tensor_metadata(False, value)
        elif isinstance(value, list):
            meta = aoti_eager.extract_tensor_list_metadata(False, value)
        elif isinstance(value, aoti_eager.supported_scalar_types()):
            meta = aoti_eager.extract_scalar_metadata(device, value)
        elif isinstance(value, str):
            meta = aoti_eager.extract_string_metadata(value)
        elif isinstance(value, torch.dtype):
            meta = aoti_eager.extract_dtype_metadata(value)
        elif isinstance(value, torch.device):
            meta = aoti_eager.extract_device_metadata(value)
        elif isinstance(value, torch.layout):
            meta = aoti_eager.extract_layout_metadata(value)
        else:
            return None
        meta["arg_order"] = idx
        items.append(meta)
    return json.loads(json.dumps(items))  # as json.load reads it back
