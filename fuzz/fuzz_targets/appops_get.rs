//! `cmd appops get`: as `appops`, plus relative times round-trip through Android's formatter.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentry_fuzz::appops_get(&consentry_fuzz::text(data));
});
