"""Convert the face-api.js expression network (npm @vladmandic/face-api, MIT) to ONNX.

Run once when upgrading the bundled weights; the result is committed with its sha256:

    npm pack @vladmandic/face-api@1.7.15 && tar xzf vladmandic-face-api-1.7.15.tgz
    python tools/convert_faceapi.py package/model src/unlock_feeling/models/assets/face_expression_faceapi.onnx

The network (from the package's TypeScript source, faceFeatureExtractor/denseBlock.ts):
four dense blocks (32/64/128/256 channels), each
    out1 = relu(conv0(x, stride 2)); out2 = sep(out1); out3 = sep(relu(out1+out2));
    out4 = sep(relu(out1+out2+out3)); y = relu(out1+out2+out3+out4)
then a 7x7 average pool, a fully connected layer and softmax. Convolutions use TF "same"
padding (extra pixel bottom/right), which is ONNX's SAME_UPPER. Filters are uint8-quantized
(value = byte * scale + min); biases float32.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def load_weights(model_dir: Path) -> dict[str, np.ndarray]:
    manifest = json.loads((model_dir / "face_expression_model-weights_manifest.json").read_text())
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        blob = b"".join((model_dir / p).read_bytes() for p in group["paths"])
        offset = 0
        for entry in group["weights"]:
            shape = entry["shape"]
            count = int(np.prod(shape))
            quant = entry.get("quantization")
            if quant:
                raw = np.frombuffer(blob, dtype=np.uint8, count=count, offset=offset)
                value = raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
                offset += count
            else:
                value = np.frombuffer(blob, dtype="<f4", count=count, offset=offset).astype(np.float32)
                offset += 4 * count
            weights[entry["name"]] = value.reshape(shape)
        if offset != len(blob):
            raise ValueError(f"weights blob has {len(blob)} bytes, manifest describes {offset}")
    return weights


def build_graph(w: dict[str, np.ndarray]) -> onnx.ModelProto:
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    counter = [0]

    def name(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(key: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(array.astype(np.float32), key))
        return key

    def op(kind: str, inputs: list[str], **attrs: object) -> str:
        out = name(kind.lower())
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def plain_conv(x: str, prefix: str, stride: int) -> str:
        f = w[f"{prefix}/filters"].transpose(3, 2, 0, 1)  # HWIO -> OIHW
        return op("Conv", [x, const(f"{prefix}/filters", f), const(f"{prefix}/bias", w[f"{prefix}/bias"])],
                  strides=[stride, stride], auto_pad="SAME_UPPER", kernel_shape=[3, 3])

    def sep_conv(x: str, prefix: str, stride: int) -> str:
        dw = w[f"{prefix}/depthwise_filter"]  # [3,3,C,1]
        channels = dw.shape[2]
        dw = dw.transpose(2, 3, 0, 1)  # (C,1,3,3)
        pw = w[f"{prefix}/pointwise_filter"][0, 0].T[:, :, None, None]  # (Cout,Cin,1,1)
        y = op("Conv", [x, const(f"{prefix}/depthwise", dw)], strides=[stride, stride],
               auto_pad="SAME_UPPER", kernel_shape=[3, 3], group=channels)
        return op("Conv", [y, const(f"{prefix}/pointwise", pw), const(f"{prefix}/bias", w[f"{prefix}/bias"])],
                  kernel_shape=[1, 1])

    x = "input"
    for block in range(4):
        p = f"dense{block}"
        out1 = op("Relu", [plain_conv(x, f"{p}/conv0", 2) if block == 0 else sep_conv(x, f"{p}/conv0", 2)])
        out2 = sep_conv(out1, f"{p}/conv1", 1)
        s12 = op("Add", [out1, out2])
        out3 = sep_conv(op("Relu", [s12]), f"{p}/conv2", 1)
        s123 = op("Add", [s12, out3])
        out4 = sep_conv(op("Relu", [s123]), f"{p}/conv3", 1)
        x = op("Relu", [op("Add", [s123, out4])])
    pooled = op("GlobalAveragePool", [x])
    nodes.append(helper.make_node("Flatten", [pooled], ["embedding"], axis=1))
    flat = "embedding"
    logits = op("Gemm", [flat, const("fc/weights", w["fc/weights"]), const("fc/bias", w["fc/bias"])])
    nodes.append(helper.make_node("Softmax", [logits], ["probabilities"], axis=1))
    graph = helper.make_graph(
        nodes, "face_api_expression",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 112, 112])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 7]),
         helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 256])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="unlock-feeling tools/convert_faceapi.py")
    model.ir_version = 8
    helper.set_model_props(model, {
        "source": "npm @vladmandic/face-api@1.7.15 model/face_expression_model.bin",
        "license": "MIT",
        "labels": "neutral,happy,sad,angry,fearful,disgusted,surprised",
        "preprocessing": "RGB, zero-pad to centred square, bilinear resize 112, (x - [122.782,117.001,104.298]) / 255",
    })
    onnx.checker.check_model(model)
    return model


def main() -> None:
    model_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    onnx.save(build_graph(load_weights(model_dir)), str(out))
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
