//! `pm list packages`: each line a package or unknown; written back, the same.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentry_fuzz::pm_list(&consentry_fuzz::text(data));
});
