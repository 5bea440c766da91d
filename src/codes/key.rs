//! A code as a compact, ordered key: up to eight ASCII characters packed into
//! a `u64`, most significant first, so keys compare like the strings they
//! hold and hashing or comparing one allocates nothing.

use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

/// A code without its dot, upper case, 1–8 characters of `[0-9A-Z]`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CodeKey(u64);

/// Why text is not a code at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// Nothing was given.
    Empty,
    /// More than eight characters.
    TooLong,
    /// A character that no code uses.
    BadCharacter(char),
}

impl CodeKey {
    /// Parses user input: the dot is ignored wherever it is, case is folded,
    /// surrounding spaces trimmed.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let mut packed = 0u64;
        let mut len = 0u32;
        for b in text.trim().bytes() {
            if b == b'.' {
                continue;
            }
            let up = b.to_ascii_uppercase();
            if !up.is_ascii_alphanumeric() {
                return Err(KeyError::BadCharacter(char::from(b)));
            }
            if len == 8 {
                return Err(KeyError::TooLong);
            }
            packed |= u64::from(up) << (56 - 8 * len);
            len += 1;
        }
        if len == 0 {
            Err(KeyError::Empty)
        } else {
            Ok(CodeKey(packed))
        }
    }

    /// Number of characters.
    pub fn len(self) -> usize {
        8 - (self.0.trailing_zeros() / 8) as usize
    }

    /// Always false: a key holds at least one character.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The character at `i` (0-based), if any.
    pub fn byte(self, i: usize) -> Option<u8> {
        (i < 8)
            .then(|| (self.0 >> (56 - 8 * i)) as u8)
            .filter(|b| *b != 0)
    }

    /// The first `n` characters.
    pub fn prefix(self, n: usize) -> Self {
        if n >= 8 {
            return self;
        }
        CodeKey(self.0 & !(u64::MAX >> (8 * n)))
    }

    /// This key with `c` appended (ignored past eight characters).
    pub fn push(self, c: u8) -> Self {
        let len = self.len();
        if len >= 8 {
            return self;
        }
        CodeKey(self.0 | (u64::from(c) << (56 - 8 * len)))
    }

    /// Pads with `X` to `n` characters (the ICD-10-CM placeholder).
    pub fn pad_x(self, n: usize) -> Self {
        let mut key = self;
        while key.len() < n {
            key = key.push(b'X');
        }
        key
    }

    /// True if `self` starts with `prefix`.
    pub fn starts_with(self, prefix: CodeKey) -> bool {
        self.prefix(prefix.len()) == prefix
    }

    /// The characters as stored (no dot).
    pub fn as_str_buf(self) -> KeyText {
        let mut buf = [0u8; 8];
        let len = self.len();
        for (i, slot) in buf.iter_mut().enumerate().take(len) {
            *slot = (self.0 >> (56 - 8 * i)) as u8;
        }
        KeyText {
            buf,
            len: len as u8,
        }
    }

    /// The display form for ICD-10-CM: a dot after the third character.
    pub fn dotted(self) -> String {
        let text = self.as_str_buf();
        let s = text.as_str();
        if s.len() > 3 {
            format!("{}.{}", &s[..3], &s[3..])
        } else {
            s.to_owned()
        }
    }
}

/// A key's characters without allocation.
#[derive(Clone, Copy)]
pub struct KeyText {
    buf: [u8; 8],
    len: u8,
}

impl KeyText {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics are ever packed.
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Display for CodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str_buf().as_str())
    }
}

impl fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodeKey({self})")
    }
}

/// A multiply-shift hasher for `CodeKey`s: one multiplication per lookup.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_u64(&mut self, n: u64) {
        // Combines with what came before, so pairs of keys hash well too.
        let mixed = self.0.rotate_left(29) ^ n;
        self.0 = (mixed ^ (mixed >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A map keyed by codes.
pub type KeyMap<V> = std::collections::HashMap<CodeKey, V, BuildHasherDefault<KeyHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_folds_case_and_dots() {
        let k = CodeKey::parse(" s52.531a ").unwrap();
        assert_eq!(k.to_string(), "S52531A");
        assert_eq!(k.len(), 7);
        assert_eq!(k.dotted(), "S52.531A");
        assert_eq!(CodeKey::parse("G63").unwrap().dotted(), "G63");
        assert_eq!(CodeKey::parse(""), Err(KeyError::Empty));
        assert_eq!(CodeKey::parse("A0-1"), Err(KeyError::BadCharacter('-')));
        assert_eq!(CodeKey::parse("ABCDEFGHI"), Err(KeyError::TooLong));
    }

    #[test]
    fn keys_order_and_slice_like_strings() {
        let a = CodeKey::parse("C4A").unwrap();
        let b = CodeKey::parse("C50").unwrap();
        assert!(a < b && CodeKey::parse("C4").unwrap() < a);
        let k = CodeKey::parse("S0600XA").unwrap();
        assert_eq!(k.prefix(3).to_string(), "S06");
        assert!(k.starts_with(CodeKey::parse("S060").unwrap()));
        assert_eq!(k.byte(6), Some(b'A'));
        assert_eq!(k.byte(7), None);
        assert_eq!(
            CodeKey::parse("T07")
                .unwrap()
                .pad_x(6)
                .push(b'A')
                .to_string(),
            "T07XXXA"
        );
    }
}
