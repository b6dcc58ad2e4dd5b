// VLogKit's users (the CLI, tools, tests) see the layers below it through it.
@_exported import VLogStore
@_exported import VLogTemplate
