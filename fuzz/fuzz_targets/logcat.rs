//! logcat::parse: every line accounted for, records keep their text, counts agree, CRLF-insensitive.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentry_fuzz::logcat(&consentry_fuzz::text(data));
});
