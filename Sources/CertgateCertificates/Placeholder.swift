// placeholder until the module's sources land
