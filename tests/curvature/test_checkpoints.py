"""Checkpoints: round trips through .pt (weights only), .safetensors (own reader and writer, cross-checked
with the ``safetensors`` package when installed) and .npz; clear one-line errors for everything else."""

import json
import struct

import numpy as np
import pytest

from rmtcheck.curvature import load_into, load_state_dict, read_safetensors, write_safetensors

ARRAYS = {
    "a.f64": np.arange(6.0).reshape(2, 3),
    "a.f32": np.linspace(-1, 1, 5, dtype=np.float32),
    "a.f16": np.array([[0.5, -2.0]], dtype=np.float16),
    "b.i64": np.array([3, -7], dtype=np.int64),
    "b.i8": np.array([-1, 2, 3], dtype=np.int8),
    "b.u8": np.array([255, 0], dtype=np.uint8),
    "c.bool": np.array([True, False]),
    "c.scalar": np.array(2.5),
    "c.empty": np.zeros((0, 3), dtype=np.float32),
}


def _raw_safetensors(path, header, data=b"", pad=True):
    blob = json.dumps(header).encode()
    if pad:
        blob += b" " * (-len(blob) % 8)
    path.write_bytes(struct.pack("<Q", len(blob)) + blob + data)
    return path


def _assert_same(got, want):
    assert list(got) == sorted(want) or set(got) == set(want)
    for k, v in want.items():
        assert got[k].dtype == v.dtype and got[k].shape == v.shape, k
        np.testing.assert_array_equal(got[k], v)


# --------------------------------------------------------------------------------------------------
# round trips

def test_safetensors_round_trip_and_metadata(tmp_path):
    path = tmp_path / "w.safetensors"
    write_safetensors(path, ARRAYS, metadata={"format": "np", "epoch": 3})
    _assert_same(read_safetensors(path), ARRAYS)
    _assert_same(load_state_dict(path), ARRAYS)
    (size,) = struct.unpack("<Q", path.read_bytes()[:8])
    header = json.loads(path.read_bytes()[8:8 + size])
    assert size % 8 == 0 and header["__metadata__"] == {"format": "np", "epoch": "3"}
    assert header["a.f64"] == {"dtype": "F64", "shape": [2, 3], "data_offsets": [header["a.f64"]["data_offsets"][0],
                                                                                   header["a.f64"]["data_offsets"][0] + 48]}


def test_big_endian_input_is_written_little_endian(tmp_path):
    path = tmp_path / "be.safetensors"
    write_safetensors(path, {"x": np.array([1.0, 2.0], dtype=">f8")})
    assert path.read_bytes()[-16:] == np.array([1.0, 2.0], dtype="<f8").tobytes()
    np.testing.assert_array_equal(read_safetensors(path)["x"], [1.0, 2.0])


def test_bf16_is_read_exactly_as_float32(tmp_path):
    values = np.array([1.0, -2.5, 3.140625, 0.0], dtype=np.float32)    # exactly representable in bfloat16
    raw = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    path = _raw_safetensors(tmp_path / "bf.safetensors",
                            {"w": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]}}, raw)
    got = read_safetensors(path)["w"]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, values.reshape(2, 2))


def test_safetensors_package_reads_ours_and_we_read_its(tmp_path):
    st = pytest.importorskip("safetensors.numpy", reason="cross-check needs the safetensors package")
    theirs = tmp_path / "theirs.safetensors"
    st.save_file({k: v for k, v in ARRAYS.items()}, str(theirs), metadata={"k": "v"})
    _assert_same(read_safetensors(theirs), ARRAYS)
    ours = tmp_path / "ours.safetensors"
    write_safetensors(ours, ARRAYS, metadata={"k": "v"})
    _assert_same(st.load_file(str(ours)), ARRAYS)


def test_safetensors_bf16_from_torch(tmp_path):
    torch = pytest.importorskip("torch", reason="bf16 tensors come from torch")
    st = pytest.importorskip("safetensors.torch", reason="cross-check needs the safetensors package")
    t = torch.randn(3, 4).to(torch.bfloat16)
    st.save_file({"w": t}, str(tmp_path / "b.safetensors"))
    np.testing.assert_array_equal(read_safetensors(tmp_path / "b.safetensors")["w"], t.float().numpy())


def test_npz_round_trip(tmp_path):
    np.savez(tmp_path / "w.npz", **ARRAYS)
    _assert_same(load_state_dict(tmp_path / "w.npz"), ARRAYS)


def test_pt_round_trip_into_a_fresh_module(tmp_path):
    torch = pytest.importorskip("torch", reason=".pt checkpoints need torch: pip install 'rmtcheck[torch]'")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    net[1].running_mean.uniform_()
    torch.save(net.state_dict(), tmp_path / "w.pt")
    state = load_state_dict(tmp_path / "w.pt")
    assert set(state) == set(net.state_dict()) and all(isinstance(v, np.ndarray) for v in state.values())
    torch.manual_seed(1)
    fresh = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    assert load_into(fresh, state) == ([], [])
    for k, v in net.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v), k
    # a training checkpoint that holds the state dict under "state_dict", and bfloat16 weights; .pth suffix
    torch.save({"state_dict": {k: v.to(torch.bfloat16) if v.is_floating_point() else v
                               for k, v in net.state_dict().items()}, "epoch": 7}, tmp_path / "ckpt.pth")
    nested = load_state_dict(tmp_path / "ckpt.pth")
    assert nested["0.weight"].dtype == np.float32
    np.testing.assert_array_equal(nested["0.weight"], net[0].weight.detach().to(torch.bfloat16).float().numpy())


def test_load_into_reports_and_refuses_mismatches():
    torch = pytest.importorskip("torch", reason="load_into needs torch: pip install 'rmtcheck[torch]'")
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    good = {k: v.detach().numpy() + 1.0 for k, v in net.state_dict().items()}
    before = {k: v.clone() for k, v in net.state_dict().items()}
    partial = {k: v for k, v in good.items() if k != "2.bias"} | {"extra.weight": np.zeros(3)}
    with pytest.raises(ValueError, match=r"state does not fit the model: missing: 2.bias; unexpected: extra.weight$"):
        load_into(net, partial)
    bad_shape = dict(good, **{"0.weight": np.zeros((2, 4))})
    with pytest.raises(ValueError, match=r"shape mismatch: 0.weight \(state \(2, 4\), model \(2, 3\)\)"):
        load_into(net, bad_shape, strict=False)                  # shapes are checked even when not strict
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())   # nothing copied on error
    res = load_into(net, partial, strict=False)
    assert res.missing == ["2.bias"] and res.unexpected == ["extra.weight"]
    assert torch.equal(net.state_dict()["2.bias"], before["2.bias"])
    np.testing.assert_array_equal(net[0].weight.detach().numpy(), good["0.weight"].astype(np.float32))
    with pytest.raises(ValueError, match="model must be a torch.nn.Module"):
        load_into(object(), good)


# --------------------------------------------------------------------------------------------------
# bad files: one-line ValueErrors naming the path

@pytest.mark.parametrize("name", ["w.pt", "w.pth", "w.safetensors", "w.npz"])
def test_empty_files(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"is empty \(0 bytes\)") as err:
        load_state_dict(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("name", ["w.pt", "w.safetensors", "w.npz"])
def test_corrupt_files(tmp_path, name):
    if name.endswith(".pt"):
        pytest.importorskip("torch", reason=".pt checkpoints need torch")
    path = tmp_path / name
    path.write_bytes(b"\x93garbage bytes that are no checkpoint at all" * 3)
    with pytest.raises(ValueError, match="is not a readable checkpoint") as err:
        load_state_dict(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_npz_that_is_a_single_npy_or_truncated(tmp_path):
    np.save(tmp_path / "one.npy", np.ones(3))
    (tmp_path / "one.npz").write_bytes((tmp_path / "one.npy").read_bytes())
    with pytest.raises(ValueError, match="holds one .npy array, not an .npz archive"):
        load_state_dict(tmp_path / "one.npz")
    np.savez(tmp_path / "w.npz", w=np.ones(1000))
    raw = (tmp_path / "w.npz").read_bytes()
    (tmp_path / "w.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"w.npz' is not a readable checkpoint: np.load failed"):
        load_state_dict(tmp_path / "w.npz")


def test_truncated_pt(tmp_path):
    torch = pytest.importorskip("torch", reason=".pt checkpoints need torch")
    torch.save({"w": torch.ones(100)}, tmp_path / "w.pt")
    raw = (tmp_path / "w.pt").read_bytes()
    (tmp_path / "w.pt").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"w.pt' is not a readable checkpoint: torch.load failed \(RuntimeError\)"):
        load_state_dict(tmp_path / "w.pt")


def test_pickle_needing_pt_is_refused_without_suggesting_pickle(tmp_path):
    torch = pytest.importorskip("torch", reason=".pt checkpoints need torch")
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")          # a whole pickled module
    with pytest.raises(ValueError) as err:
        load_state_dict(tmp_path / "module.pt")
    msg = str(err.value)
    assert "torch.nn.modules.linear.Linear" in msg and "model.state_dict()" in msg and "\n" not in msg
    assert "weights_only=False" not in msg and "safe_globals" not in msg
    torch.save({"epoch": 3, "lr": 0.1}, tmp_path / "meta.pt")           # loads, but holds no tensors
    with pytest.raises(ValueError, match=r"holds a dict with keys \['epoch', 'lr'\], not a mapping of names to"):
        load_state_dict(tmp_path / "meta.pt")


def test_object_npz_is_refused(tmp_path):
    np.savez(tmp_path / "obj.npz", a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="holds object arrays that need pickle"):
        load_state_dict(tmp_path / "obj.npz")


@pytest.mark.parametrize(("header", "data", "match"), [
    ({"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}, b"\0\0",
     r"tensor 'w' has dtype F8_E4M3, which this reader does not support; supported: BOOL, F16, F32, F64"),
    ({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, r"offsets \[0, 8\] that do not match"),
    ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 12, r"do not tile the data buffer"),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
      "v": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8, r"do not tile"),
    ({"w": {"dtype": "F32", "shape": [1]}}, b"\0" * 4, r"entry 'w' lacks dtype, shape or data_offsets"),
    (["not", "an", "object"], b"", r"the header is not a JSON object"),
])
def test_malformed_safetensors(tmp_path, header, data, match):
    path = _raw_safetensors(tmp_path / "bad.safetensors", header, data)
    with pytest.raises(ValueError, match=match) as err:
        read_safetensors(path)
    assert "\n" not in str(err.value)


def test_safetensors_header_length_and_json(tmp_path):
    path = tmp_path / "h.safetensors"
    path.write_bytes(struct.pack("<Q", 10 ** 6) + b"{}")
    with pytest.raises(ValueError, match=r"header length 1000000 exceeds the file \(10 bytes\)"):
        read_safetensors(path)
    path.write_bytes(b"\x01\x02\x03")
    with pytest.raises(ValueError, match=r"3 bytes, shorter than the 8-byte header length"):
        read_safetensors(path)
    path.write_bytes(struct.pack("<Q", 4) + b"{{{{")
    with pytest.raises(ValueError, match=r"the header is not JSON"):
        read_safetensors(path)


def test_paths_and_suffixes(tmp_path):
    with pytest.raises(ValueError, match=r"unknown checkpoint suffix '.bin'; use one of"):
        load_state_dict(tmp_path / "w.bin")
    with pytest.raises(FileNotFoundError, match="no checkpoint file at"):
        load_state_dict(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match=r"arrays\['z'\] has dtype complex128"):
        write_safetensors(tmp_path / "c.safetensors", {"z": np.ones(2, complex)})
