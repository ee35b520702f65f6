//! Stable, seeded hashing shared by every layer: attempt seeds, data streams, cache keys and the
//! held-out split all derive from these, so they agree across crates, runs and machines.

/// FNV-1a, 64 bit: a stable content hash (cache keys, the held-out split).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// SplitMix64-style mixing of a seed with an index.
pub fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(0x6A09_E667_F3BC_C909);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_the_published_values() {
        // FNV-1a 64 reference values (the empty string is the offset basis).
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn mixing_separates_neighbouring_indices_and_seeds() {
        let values: std::collections::HashSet<u64> =
            (0..4).flat_map(|seed| (0..256).map(move |i| mix(seed, i))).collect();
        assert_eq!(values.len(), 4 * 256);
        assert_eq!(mix(7, 3), mix(7, 3));
    }
}
