//! Request bodies written as the official client writes them.
//!
//! The official client sends `JSON.stringify(body)`. Integers and strings come out the same
//! from serde_json; floating-point numbers do not: JavaScript writes the shortest digits that
//! read back to the same number (as serde_json's `ryu` does) but lays them out by its own rule
//! (ECMAScript `Number::toString`): `123456789012345680000` where serde_json writes
//! `1.2345678901234568e20`, `12` for `12.0`, `1e-7` for `0.0000001`, `1e+21` for `1e21`. The
//! value is the same; the bytes are what the service would see from the official client, so
//! the SDK writes them that way too. Reading back is exact either way: serde_json parses with
//! correct rounding (`float_roundtrip`).
use std::io;

use serde::Serialize;

/// `value` as compact JSON, numbers written as JavaScript writes them.
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, JsFormatter);
    value.serialize(&mut serializer)?;
    Ok(out)
}

/// serde_json's compact formatter with JavaScript's layout of floating-point numbers.
struct JsFormatter;

impl serde_json::ser::Formatter for JsFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(js_number(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        writer.write_all(js_number(f64::from(value)).as_bytes())
    }
}

/// `value` as ECMAScript's `Number::toString` writes it (`null` for NaN and infinities, as
/// `JSON.stringify` does).
fn js_number(value: f64) -> String {
    if !value.is_finite() {
        return "null".into();
    }
    if value == 0.0 {
        return "0".into();
    }
    let mut buffer = ryu::Buffer::new();
    let shortest = buffer.format_finite(value);
    let (sign, unsigned) = match shortest.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", shortest),
    };
    // ryu writes `d.ddd`, `0.000ddd` or `d.ddde±x`: read the digits and the decimal exponent.
    let (mantissa, exponent) = match unsigned.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().expect("ryu exponent")),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{int_part}{frac_part}");
    // `n`: the position of the decimal point relative to the digits (value = 0.digits × 10^n).
    let mut n = int_part.len() as i32 + exponent;
    let leading = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading);
    n -= leading as i32;
    let digits = digits.trim_end_matches('0');
    let k = digits.len() as i32;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign_e = if e < 0 { '-' } else { '+' };
        match digits.split_at(1) {
            (d, "") => format!("{d}e{sign_e}{}", e.abs()),
            (d, rest) => format!("{d}.{rest}e{sign_e}{}", e.abs()),
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_laid_out_as_javascript_does() {
        // Each pair: the number, and `String(number)` in Node.
        for (value, js) in [
            (1.2345678901234568e20, "123456789012345680000"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (12.0, "12"),
            (12.5, "12.5"),
            (0.1, "0.1"),
            (0.3333333333333333, "0.3333333333333333"),
            (1e-6, "0.000001"),
            (1.5e-6, "0.0000015"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (5e-324, "5e-324"),
            (-1.7976931348623157e308, "-1.7976931348623157e+308"),
            (-0.0, "0"),
            (100.0, "100"),
            (123.456, "123.456"),
            (-42.0, "-42"),
            (9007199254740993.0, "9007199254740992"),
        ] {
            assert_eq!(js_number(value), js, "{value:e}");
        }
        assert_eq!(js_number(f64::NAN), "null");
    }

    #[test]
    fn every_written_number_reads_back_exactly() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let value = f64::from_bits(x);
            if !value.is_finite() {
                continue;
            }
            let text = js_number(value);
            let back: f64 = text.parse().unwrap();
            assert_eq!(back, if value == 0.0 { 0.0 } else { value }, "{text}");
        }
    }

    #[test]
    fn a_row_read_and_written_back_is_the_same_text() {
        // What the service (a JavaScript program) sends, read as the SDK reads responses,
        // then written as the SDK writes bodies.
        for text in [
            r#"{"big":123456789012345680000,"tenth":0.1,"third":0.3333333333333333}"#,
            r#"{"huge":1.7976931348623157e+308,"tiny":5e-324,"small":1e-7,"neg":-0.000001}"#,
            r#"{"n":9007199254740993,"m":-12,"f":2.5e+21}"#,
        ] {
            let row: serde_json::Value = serde_json::from_str(text).unwrap();
            let written = String::from_utf8(to_vec(&row).unwrap()).unwrap();
            let reread: serde_json::Value = serde_json::from_str(&written).unwrap();
            assert_eq!(reread, row, "{text} → {written}");
            let mut keys: Vec<_> = text.trim_matches(['{', '}']).split(',').collect();
            keys.sort_unstable();
            let mut out: Vec<_> = written.trim_matches(['{', '}']).split(',').collect();
            out.sort_unstable();
            assert_eq!(out, keys, "the same text, key order aside");
        }
    }

    #[test]
    fn bodies_keep_integers_and_strings() {
        let body = serde_json::json!({"big": 1.2345678901234568e20, "n": 3, "s": "1e21", "nested": [0.5, -7]});
        assert_eq!(
            String::from_utf8(to_vec(&body).unwrap()).unwrap(),
            r#"{"big":123456789012345680000,"n":3,"nested":[0.5,-7],"s":"1e21"}"#
        );
    }
}
