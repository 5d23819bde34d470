//! `uiautomator dump`: no panic; a parsed tree re-rendered by the simulator parses the same.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentry_fuzz::uiautomator(&consentry_fuzz::text(data));
});
