//! Open string enums: every named string enum of the document becomes a Rust enum with one
//! variant per listed value plus `Unknown(String)`, so a value the service adds later never
//! breaks decoding. Each converts from `&str` and `String` (the setters take either), shows
//! its wire form, and goes on a query string as that form.
use quote::{format_ident, quote};

use super::names::variant;

/// The Rust code of one open enum.
pub(crate) fn open_enum(name: &str, values: &[String]) -> proc_macro2::TokenStream {
    let ident = format_ident!("{name}");
    let variants: Vec<_> = values
        .iter()
        .map(|v| format_ident!("{}", variant(v)))
        .collect();
    let docs = values.iter().map(|v| format!("`{v}`"));
    let doc = format!(
        "`{name}`: one of {}. Values this SDK does not know yet decode as `Unknown`.",
        values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #ident {
            #( #[doc = #docs] #variants, )*
            /// A value the service sent that this version of the SDK does not know.
            Unknown(String),
        }

        impl #ident {
            /// Every value listed by the OpenAPI document.
            pub const KNOWN: &'static [Self] = &[ #( Self::#variants ),* ];

            /// The wire form of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#variants => #values, )*
                    Self::Unknown(other) => other.as_str(),
                }
            }
        }

        impl ::std::convert::AsRef<str> for #ident {
            fn as_ref(&self) -> &str { self.as_str() }
        }

        impl ::std::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for #ident {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::convert::From<&str> for #ident {
            fn from(value: &str) -> Self {
                match value {
                    #( #values => Self::#variants, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #ident {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    #( #values => Self::#variants, )*
                    _ => Self::Unknown(value),
                }
            }
        }

        impl ::std::convert::From<&::std::string::String> for #ident {
            fn from(value: &::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl ::serde::Serialize for #ident {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                let decoded = Self::from(value.as_ref());
                if let Self::Unknown(other) = &decoded {
                    crate::drift::unknown_enum_value(#name, other);
                }
                Ok(decoded)
            }
        }

        impl crate::wire::QueryValue for #ident {
            fn append_to(&self, name: &str, query: &mut crate::wire::Query) {
                query.pair(name, self.as_str());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_and_wire_forms() {
        let code = open_enum(
            "SortDirection",
            &["asc".into(), "desc".into(), "bi-weekly".into()],
        )
        .to_string();
        assert!(code.contains("pub enum SortDirection"), "{code}");
        assert!(code.contains("Asc ,"), "{code}");
        assert!(code.contains("BiWeekly"), "{code}");
        assert!(code.contains("\"bi-weekly\" => Self :: BiWeekly"), "{code}");
        assert!(code.contains("Unknown (String)"), "{code}");
    }
}
