//! The transport hook every operation goes through.
use crate::generated::{Client, ClientInfo};
use progenitor_client::{ClientHooks, OperationInfo};

/// Per-client transport state.
#[derive(Clone, Debug, Default)]
pub struct Transport {}

impl ClientHooks<Transport> for Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        self.client().execute(request).await
    }
}
