#!/usr/bin/env python3
# Independent implementation of docs/PROTOCOL.md (hashlib + BIP-340 reference arithmetic only).
import hashlib, struct
p = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798, 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)
def sha(b): return hashlib.sha256(b).digest()
def sha2(b): return sha(sha(b))
def tagged(tag, msg):
    t = sha(tag.encode()); return sha(t + t + msg)
def padd(P1, P2):
    if P1 is None: return P2
    if P2 is None: return P1
    if P1[0] == P2[0] and P1[1] != P2[1]: return None
    if P1 == P2: lam = (3 * P1[0] * P1[0] * pow(2 * P1[1], p - 2, p)) % p
    else: lam = ((P2[1] - P1[1]) * pow(P2[0] - P1[0], p - 2, p)) % p
    x3 = (lam * lam - P1[0] - P2[0]) % p
    return (x3, (lam * (P1[0] - x3) - P1[1]) % p)
def pmul(P, k):
    R = None
    for i in range(256):
        if (k >> i) & 1: R = padd(R, P)
        P = padd(P, P)
    return R
def bint(x): return x.to_bytes(32, 'big')
def xonly(P): return bint(P[0])
def sign(msg, seckey, aux):
    d0 = int.from_bytes(seckey, 'big'); P = pmul(G, d0)
    d = d0 if P[1] % 2 == 0 else n - d0
    t = bytes(a ^ b for a, b in zip(bint(d), tagged("BIP0340/aux", aux)))
    k0 = int.from_bytes(tagged("BIP0340/nonce", t + xonly(P) + msg), 'big') % n
    R = pmul(G, k0); k = k0 if R[1] % 2 == 0 else n - k0
    e = int.from_bytes(tagged("BIP0340/challenge", xonly(R) + xonly(P) + msg), 'big') % n
    return xonly(R) + bint((k + e * d) % n)

def u32(x): return struct.pack('<I', x)
def u64(x): return struct.pack('<Q', x)
def i64(x): return struct.pack('<q', x)
def tx(version, inputs, outputs, signed):
    b = u32(version) + u32(len(inputs))
    for txid, idx, sig in inputs:
        b += txid + u32(idx) + (sig if signed else b'')
    b += u32(len(outputs))
    for amount, key in outputs:
        b += i64(amount) + key
    return b
UNIT = 100_000_000
key1 = xonly(pmul(G, 1)); key3 = xonly(pmul(G, 3))
netid = bytes.fromhex("4c43000000000000000000000000000000000000000000000000000000000001")

# Check the implementation against the version-1 vector of the old document first.
old_unsigned = tx(1, [(b'\x11' * 32, 1, None)], [(1250000000, key1), (3749990000, key3)], False)
old_sighash = tagged("LedgerContrast/sighash", netid + old_unsigned)
assert old_sighash.hex() == "878af23ac29be4c102bde53e50c01107e87225593347094198c89f84b0224560"
assert sign(old_sighash, bint(3), bytes(32)).hex() == "5ac2c6ed71053bd5e78cd551af0a154baaf3d0c0c82eeef98b091e71e28168369df66f38e2d9a7b1da05764dfa5cffa354db4004e6ff98ed8c62a37a7f6881d6"

# Version 2: the sighash also commits to each spent output (amount, key): here 50 units to key 3.
A_in = [(b'\x11' * 32, 1, None)]
A_out = [(1250000000, key1), (3749990000, key3)]
unsigned = tx(2, A_in, A_out, False)
spent = i64(50 * UNIT) + key3
sighash = tagged("LedgerContrast/sighash", netid + unsigned + spent)
sig = sign(sighash, bint(3), bytes(32))
full = tx(2, [(b'\x11' * 32, 1, sig)], A_out, True)
print("unsignedA", unsigned.hex(), len(unsigned))
print("txidA", sha2(unsigned).hex())
print("sighashA", sighash.hex())
print("lying_amount_sighash", tagged("LedgerContrast/sighash", netid + unsigned + i64(1 * UNIT) + key3).hex())
print("sigA", sig.hex())
print("fullA", full.hex())
wtxidA = sha2(full)
print("wtxidA", wtxidA.hex())
cb_unsigned = tx(2, [(bytes(32), 1, None)], [(50 * UNIT, key3)], False)
cb_full = tx(2, [(bytes(32), 1, bytes(64))], [(50 * UNIT, key3)], True)
print("coinbase_full", cb_full.hex())
print("coinbase_txid", sha2(cb_unsigned).hex())
cb_w = sha2(cb_full)
print("coinbase_wtxid", cb_w.hex())
root = sha2(cb_w + wtxidA)
print("merkleB", root.hex())
header = u32(1) + b'\xaa' * 32 + root + u64(1767225600000) + u32(0x207fffff) + u64(0)
print("headerB", header.hex())
print("blockB", sha2(header).hex())
empty = sha2(b'')
# odd level: [cb, A, e] -> [H(cb||A), e] -> H(H(cb||A) || e)
print("odd", sha2(sha2(cb_w + wtxidA) + empty).hex())

def compact_to_target(bits):
    size = bits >> 24; mant = bits & 0x7fffff
    return mant >> (8 * (3 - size)) if size <= 3 else mant << (8 * (size - 3))
def genesis(network, regtest, interval_ms, maturity, bits):
    desc = f"LedgerContrast genesis|{network}|regtest={'True' if regtest else 'False'}|interval={interval_ms}|maturity={maturity}"
    key = tagged("LedgerContrast/genesis", desc.encode())
    cb = tx(2, [(bytes(32), 0, bytes(64))], [(0, key)], True)
    root = sha2(cb)  # one leaf: the root is the coinbase's wtxid
    h = u32(1) + bytes(32) + root + u64(1767225600000) + u32(bits) + u64(0)
    return desc, sha2(h).hex()
initial_bits = 0x1e100000
assert compact_to_target(initial_bits) == 1 << 236
for args in [("lc-local", False, 5000, 100, initial_bits), ("lc-regtest", True, 5000, 10, 0x207fffff)]:
    print("genesis", *genesis(*args))

# Inclusion proofs (§4): leaves [cb, A, e, f, g]; the branch holds a sibling only where the node has one.
def proof_root(leaf, index, count, branch):
    h, pos, used = leaf, index, 0
    while count > 1:
        if pos % 2 == 1: h = sha2(branch[used] + h); used += 1
        elif pos + 1 < count: h = sha2(h + branch[used]); used += 1
        pos //= 2; count = (count + 1) // 2
    assert used == len(branch)
    return h
f = sha2(b'\x01'); g = sha2(b'\x02')
leaves = [cb_w, wtxidA, empty, f, g]
h01 = sha2(cb_w + wtxidA); h23 = sha2(empty + f); h0123 = sha2(h01 + h23)
root5 = sha2(h0123 + g)
print("proof_leaves", [l.hex() for l in leaves])
print("proof_root", root5.hex())
print("proof_2_branch", [b.hex() for b in (f, h01, g)])
print("proof_4_branch", [h0123.hex()])
assert proof_root(empty, 2, 5, [f, h01, g]) == root5
assert proof_root(g, 4, 5, [h0123]) == root5

# Compact block filters (§9): BIP-158's Golomb-coded set, P = 19, M = 784931, over 32-byte public keys.
MASK = (1 << 64) - 1
def rotl(x, b): return ((x << b) | (x >> (64 - b))) & MASK
def siphash24(k0, k1, data):
    v0, v1, v2, v3 = 0x736f6d6570736575 ^ k0, 0x646f72616e646f6d ^ k1, 0x6c7967656e657261 ^ k0, 0x7465646279746573 ^ k1
    def rnd():
        nonlocal v0, v1, v2, v3
        v0 = (v0 + v1) & MASK; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
        v2 = (v2 + v3) & MASK; v3 = rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & MASK; v3 = rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & MASK; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
    full = len(data) // 8 * 8
    for i in range(0, full, 8):
        m = int.from_bytes(data[i:i + 8], 'little'); v3 ^= m; rnd(); rnd(); v0 ^= m
    last = (len(data) & 0xff) << 56
    for i, byte in enumerate(data[full:]): last |= byte << (8 * i)
    v3 ^= last; rnd(); rnd(); v0 ^= last; v2 ^= 0xff
    for _ in range(4): rnd()
    return v0 ^ v1 ^ v2 ^ v3
assert siphash24(0x0706050403020100, 0x0f0e0d0c0b0a0908, bytes(range(15))) == 0xa129ca6149be45e5  # the SipHash paper's vector
def compact_size(n):
    if n < 0xfd: return bytes([n])
    if n <= 0xffff: return b'\xfd' + struct.pack('<H', n)
    if n <= 0xffffffff: return b'\xfe' + struct.pack('<I', n)
    return b'\xff' + struct.pack('<Q', n)
P, M = 19, 784931
def gcs(block_hash, items):
    items = sorted(set(items))
    k0, k1 = int.from_bytes(block_hash[:8], 'little'), int.from_bytes(block_hash[8:16], 'little')
    F = len(items) * M
    values = sorted((siphash24(k0, k1, i) * F) >> 64 for i in items)
    bits, last = [], 0
    for v in values:
        d = v - last; last = v
        bits += [1] * (d >> P) + [0] + [(d >> (P - 1 - j)) & 1 for j in range(P)]
    bits += [0] * (-len(bits) % 8)
    return compact_size(len(items)) + bytes(int(''.join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))
blockB = sha2(header)
filterB = gcs(blockB, [key3, key1, key3, key3])  # outputs: coinbase key 3; A: key 1, key 3; A's spent output: key 3
print("filterB", filterB.hex())
print("filterB_hash", sha2(filterB).hex())
print("filterB_header", sha2(sha2(filterB) + bytes(32)).hex())
