//! What one isolate keeps between requests: its configuration. An isolate's variables
//! and secrets do not change while it lives (a new deployment or a `wrangler dev`
//! reload starts new isolates), so they are read from `env` (a JS crossing per
//! variable) and parsed once, not on every request. An invalid configuration is not
//! kept: it is read again, and answered with its error, each time.

use std::cell::RefCell;
use std::rc::Rc;

use switchboard_core::Error;

use crate::config::Config;

thread_local! {
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

/// This isolate's configuration, read through `lookup` the first time.
pub fn config(lookup: impl Fn(&str) -> Option<String>) -> Result<Rc<Config>, Error> {
    if let Some(config) = CONFIG.with(|c| c.borrow().clone()) {
        return Ok(config);
    }
    let config = Rc::new(Config::from_lookup(lookup)?);
    CONFIG.with(|c| *c.borrow_mut() = Some(config.clone()));
    Ok(config)
}
