import SozialraumApp

await SozialraumDaemonCommand.runMain()
