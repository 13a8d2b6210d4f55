//! Lower-case hex of ids, for the `traceparent` writer (it hexes every
//! call's ids on the calling thread).

/// Every byte's two lower-case hex digits: one load per byte (a digit per
/// nibble cost about 250 more instructions per `traceparent`, callgrind).
static HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut table = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = [DIGITS[i >> 4], DIGITS[i & 0xf]];
        i += 1;
    }
    table
};

/// Lower-case hex of `bytes` into `out` (twice as long; a shorter `out`
/// gets the digits of the bytes it has room for).
pub(crate) fn hex_into(bytes: &[u8], out: &mut [u8]) {
    for (b, pair) in bytes.iter().zip(out.as_chunks_mut::<2>().0) {
        *pair = HEX_PAIRS[usize::from(*b)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits_of_every_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        let mut out = vec![0u8; 512];
        hex_into(&bytes, &mut out);
        let want: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
}
