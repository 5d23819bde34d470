//! `sh_quote`/`sh_join` survive the device shell; `input_text_plan` types the text back.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    consentry_fuzz::quote(&consentry_fuzz::text(data));
});
