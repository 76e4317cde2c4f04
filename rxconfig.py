import reflex as rx

config = rx.Config(
    app_name="wallet_ui",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="teal", radius="large")),
        rx.plugins.SitemapPlugin(),
    ],
)
