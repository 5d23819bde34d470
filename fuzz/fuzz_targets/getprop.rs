//! `getprop`: the values written back as `[key]: [value]` parse to the same map.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentry_fuzz::getprop(&consentry_fuzz::text(data));
});
